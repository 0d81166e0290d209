//! The runtime's side of lazy compilation (see `wasmbeam_jit`'s `lazy.rs`):
//! the builtins a function's stub calls when the function is not compiled
//! yet (`lazy_call`) and when a call suspended there resumes
//! (`lazy_resume`), and compiling from inside a call.
//!
//! A call that reaches a function not compiled yet compiles it at once,
//! unless the activation defers compiles ([`crate::Call::defer_compiles`]):
//! then the stub's record (the arguments, as a record of the function at
//! [`STUB_RESUME_POINT`]) is saved, the call suspends like a yield, and the
//! embedder can compile the function elsewhere (the BEAM binding does, on a
//! dirty scheduler) before it steps the call again. Resuming, the stub pops
//! its record and calls the compiled function with the arguments.

use crate::builtins::{instance, run, Failure};
use crate::call::activation::{current, current_suspension, Stop, SuspendReason};
use crate::call::records::{header, header_word};
use crate::error::Error;
use crate::module::Module;
use wasmbeam_jit::vm::{ExecCtx, STATE_RUNNING, STATE_UNWINDING};
use wasmbeam_jit::STUB_RESUME_POINT;

/// Native stack for compiling from inside a call: Cranelift needs far more
/// than a call has left below it (and a BEAM scheduler's stack is small).
const COMPILE_STACK_BYTES: usize = 16 << 20;

/// Compiles defined function `defined` of `module` on a thread of its own
/// with a large stack (the caller may be deep in WebAssembly code), and
/// waits for it.
pub(crate) fn compile_on_own_stack(module: &Module, defined: u32) -> Result<(), Error> {
    if module.is_compiled(defined) {
        return Ok(());
    }
    std::thread::scope(|scope| {
        let compiling = std::thread::Builder::new()
            .name("wasmbeam-compile".into())
            .stack_size(COMPILE_STACK_BYTES)
            .spawn_scoped(scope, || module.compile_function(defined))
            .map_err(|e| Error::Limit(format!("cannot start a thread to compile on: {e}")))?;
        compiling.join().unwrap_or_else(|_| Err(Error::internal("compiling a function panicked")))
    })
}

/// `VMBuiltins::lazy_call`.
///
/// # Safety
/// Called by a lazy stub only: `vmctx` is an instance's and `exec` its
/// activation's (see `builtins::run`), and `values` points at the stub's
/// spilled arguments, 8-byte words per parameter of the function (see
/// `ValType::words`).
pub(crate) unsafe extern "C" fn lazy_call(vmctx: *mut u8, exec: *mut ExecCtx, defined: u32, values: u64) -> u32 {
    // SAFETY: our contract is `run`'s.
    unsafe {
        run(vmctx, exec, 0, |store, index| {
            let module = instance(store, index)?.module.clone();
            let deferred = current(store, exec)?.suspension.as_ref().is_some_and(|s| s.defer_compiles);
            if !deferred {
                compile_on_own_stack(&module, defined).map_err(|e| Failure::Stop(Stop::Error(e)))?;
                return Ok(1);
            }
            let func = module.info().num_imported_functions + defined;
            let params = wasmbeam_jit::abi::words_of(&module.info().func_type(func).params);
            // SAFETY: the stub spilled `params` words there (contract).
            let args = std::slice::from_raw_parts(values as usize as *const u64, params).to_vec();
            let limit = store.limits().max_continuation_bytes;
            let room = store.max_record_size;
            // SAFETY: `exec` is live and, while this builtin runs, used by
            // nobody else (compiled code waits for us); `store` is another
            // object.
            let exec = &mut *exec;
            let suspension = current_suspension(store, exec, "a deferred compile")?;
            suspension.buffer.commit(exec, &args, vmctx, header_word(func, STUB_RESUME_POINT), room, limit)?;
            exec.state = STATE_UNWINDING;
            suspension.reason = Some(SuspendReason::Compile { module, defined });
            Ok(0)
        })
    }
}

/// `VMBuiltins::lazy_resume`.
///
/// # Safety
/// As [`lazy_call`]; `values` has room for the words of the parameters.
pub(crate) unsafe extern "C" fn lazy_resume(vmctx: *mut u8, exec: *mut ExecCtx, defined: u32, values: u64) -> u32 {
    // SAFETY: our contract is `run`'s.
    unsafe {
        run(vmctx, exec, 0, |store, index| {
            let module = instance(store, index)?.module.clone();
            // A call read back from bytes may resume where this process has
            // not compiled the function yet.
            compile_on_own_stack(&module, defined).map_err(|e| Failure::Stop(Stop::Error(e)))?;
            let func = module.info().num_imported_functions + defined;
            let params = wasmbeam_jit::abi::words_of(&module.info().func_type(func).params);
            // SAFETY: as in `lazy_call`.
            let exec = &mut *exec;
            let tail_calls = store.engine().config().features.tail_call;
            let suspension = current_suspension(store, exec, "a stub rewinding")?;
            // The function may have tail-called the function that saved the
            // last record, or a host function (then there is none): once
            // compiled, it hands the rewind on (see `call/redirect.rs`).
            if tail_calls && suspension.buffer.is_empty_in(exec) {
                return Ok(2);
            }
            let (found_vmctx, found_header) = suspension.buffer.last_header(exec).map_err(Stop::internal)?;
            let (found_func, point) = header(found_header);
            if tail_calls && (found_vmctx != vmctx as usize as u64 || found_func != func) {
                return Ok(2);
            }
            if found_vmctx != vmctx as usize as u64 || found_func != func {
                return Err(Stop::Mismatch(format!(
                    "the stub of function {func} found the record of function {found_func} on top"
                ))
                .into());
            }
            if point != STUB_RESUME_POINT {
                // The function's own record: it suspended once compiled.
                return Ok(2);
            }
            let args = suspension.buffer.pop_record(exec, params).map_err(Stop::internal)?;
            // SAFETY: the stub has the parameters' words there (contract).
            std::slice::from_raw_parts_mut(values as usize as *mut u64, params).copy_from_slice(&args);
            exec.state = STATE_RUNNING;
            exec.stack_limit = exec.saved_stack_limit;
            Ok(1)
        })
    }
}
