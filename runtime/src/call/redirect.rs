//! Restoring a frame that made a tail call (see `rewind_tail_frame` in
//! `wasmbeam_jit::vm::VMBuiltins`).
//!
//! A function that tail-calls is replaced on the native stack by its
//! callee, so when the call suspends, the innermost frame saved is the
//! callee's (or a function further down a chain of tail calls), or, if the
//! callee was a host function, there is none: the host function waits for
//! its answer. On resume, the caller's frame re-issues its call to the
//! function that made the tail call, which finds that record (or nothing)
//! instead of one of its own. It then tail-calls the function the record
//! belongs to, which rewinds; [`redirect`] finds that function.

use crate::call::activation::Stop;
use crate::call::records::header;
use crate::store::Store;
use wasmbeam_jit::vm::{ExecCtx, Redirect, VMFuncRef};
use wasmbeam_jit::{RECORD_HEADER_WORD, RECORD_VMCTX_WORD, STUB_RESUME_POINT};

/// For function `func` (module-wide index) of the instance at `vmctx`,
/// rewinding: `None` if the last record is one of its own (it pops it as
/// usual), or the function to tail-call instead: the one whose frame saved
/// the last record (its lazy stub, for a stub's record), or, with no
/// record left, the host function whose answer is pending.
pub(crate) fn redirect(store: &Store, exec: &ExecCtx, vmctx: *mut u8, func: u32) -> Result<Option<Redirect>, Stop> {
    let suspension = store
        .activations
        .innermost_for(exec)
        .and_then(|activation| activation.suspension.as_deref())
        .ok_or_else(|| Stop::internal("a frame is rewinding outside a suspended call"))?;
    if suspension.buffer.is_empty_in(exec) {
        let answer = suspension.answer.as_ref().ok_or_else(|| {
            Stop::Mismatch(format!("function {func} found no saved frame and no host function waiting"))
        })?;
        let vm = &store.func(answer.func)?.vm;
        return Ok(Some(to(store, vm, vm.func_ptr)?));
    }
    // SAFETY: while rewinding with records left, `cont_ptr` is the end of
    // the last record, whose two header words end it (see
    // `pop_own_record` in `builtins.rs`).
    let (saved_vmctx, word) = unsafe {
        let end = exec.cont_ptr;
        (
            end.offset(RECORD_VMCTX_WORD as isize).cast::<u64>().read(),
            end.offset(RECORD_HEADER_WORD as isize).cast::<u64>().read(),
        )
    };
    let (saved, point) = header(word);
    if saved_vmctx == vmctx as usize as u64 && saved == func && point != STUB_RESUME_POINT {
        return Ok(None);
    }
    let mismatch = || Stop::Mismatch(format!("function {func} found the saved frame of an unknown function {saved}"));
    let instance = store.instances.iter().find(|data| data.vmctx_word() == saved_vmctx).ok_or_else(mismatch)?;
    let vm = &store.func(*instance.funcs.get(saved as usize).ok_or_else(mismatch)?)?.vm;
    let func_ptr = match point {
        // The stub of a function that was not compiled when called holds
        // its record (and the function may be compiled by now).
        STUB_RESUME_POINT => {
            let defined = saved.checked_sub(instance.module.info().num_imported_functions).ok_or_else(mismatch)?;
            let lazy = instance.module.compiled().lazy_code().ok_or_else(mismatch)?;
            lazy.stub_ptr(defined).ok_or_else(mismatch)?
        }
        _ => vm.func_ptr,
    };
    Ok(Some(to(store, vm, func_ptr)?))
}

/// A redirect to the function `vm` describes, at `func_ptr`.
fn to(store: &Store, vm: &VMFuncRef, func_ptr: *const u8) -> Result<Redirect, Stop> {
    let thunk = store.engine().trampolines(vm.type_id)?.rewind_thunk;
    Ok(Redirect { func_ptr, vmctx: vm.vmctx, thunk })
}
