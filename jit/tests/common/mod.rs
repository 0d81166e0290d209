//! A harness that runs compiled code without the runtime. Modules with only
//! functions (no imports, memories, tables or globals) need a vmctx holding
//! the builtins table and the funcref words, which this harness builds
//! itself. Its builtins implement just enough for suspension: the
//! continuation buffer is a plain `Vec`, and every suspension (the fuel
//! slice ran out) is resumed at once with a new slice.

#![allow(dead_code)]

use std::collections::HashMap;
use wasmbeam_jit::vm::{
    decode_commit_word, ExecCtx, TrapCode, VMBuiltins, VMFuncRef, EMBEDDER_STOP, MAX_FUEL_GRANT, REWIND_FAILED,
    STATE_REWINDING, STATE_RUNNING, STATE_TRAPPING, STATE_UNWINDING,
};
use wasmbeam_jit::{CompileOptions, Compiler, FuncType, ValType};

pub struct Harness {
    pub compiler: Compiler,
    /// Bytes of native stack compiled code may use below the harness's frame.
    pub stack_budget: usize,
}

pub struct Loaded {
    pub info: wasmbeam_jit::ModuleInfo,
    _compiled: wasmbeam_jit::CompiledModule,
    /// Boxed: the vmctx holds their addresses, taken while the Vec grows.
    #[allow(clippy::vec_box)]
    _funcrefs: Vec<Box<VMFuncRef>>,
    vmctx: Box<[u64]>,
}

/// How a sliced run went.
#[derive(Debug, Default)]
pub struct SliceStats {
    pub suspensions: usize,
    pub largest_continuation: usize,
}

/// The continuation buffer, reached through `ExecCtx::embedder`.
struct Buffer {
    bytes: Vec<u8>,
    /// The module being run, for the layout of its records.
    compiled: *const wasmbeam_jit::CompiledModule,
}

unsafe extern "C" fn unused(_: *mut u8, exec: *mut ExecCtx) {
    // SAFETY: compiled code passes its live ExecCtx.
    unsafe {
        (*exec).state = STATE_TRAPPING;
        (*exec).trap_code = TrapCode::HostError as u32;
    }
}

unsafe extern "C" fn unused_grow(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u64) -> u64 {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) };
    u64::MAX
}

unsafe extern "C" fn unused_lazy(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u64) -> u32 {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) };
    0
}

unsafe extern "C" fn unused4(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u32, _: u32, _: u32) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused5(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u32, _: u32, _: u32, _: u32) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused_memory_fill(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u64, _: u32, _: u64) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused_memory_copy(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u32, _: u64, _: u64, _: u64) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused_memory_init(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u32, _: u64, _: u32, _: u32) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused1(_: *mut u8, exec: *mut ExecCtx, _: u32) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused_table_grow(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u64, _: u32) -> u32 {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) };
    u32::MAX
}

unsafe extern "C" fn unused_table_fill(_: *mut u8, exec: *mut ExecCtx, _: u32, _: u32, _: u64, _: u32) {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) }
}

unsafe extern "C" fn unused_new_exception(_: *mut u8, exec: *mut ExecCtx, _: u64, _: u32) -> u64 {
    // SAFETY: as above.
    unsafe { unused(std::ptr::null_mut(), exec) };
    0
}

/// Room the harness keeps free in the buffer (more than any test's record).
const RECORD_ROOM: usize = 4096;

unsafe extern "C" fn commit_record(
    vmctx: *mut u8,
    exec: *mut ExecCtx,
    word: u64,
    func: u32,
    area: u64,
    area_words: u32,
) {
    let (point, bytes) = decode_commit_word(word);
    // SAFETY: the harness sets `embedder` to its live `Buffer` and keeps
    // `cont_ptr` within `bytes`'s length, with room for any record after
    // it (so the header's word is inside too); compiled code passes its
    // record area of `area_words` words with the record's slots in the
    // words its layout gives.
    unsafe {
        if word == REWIND_FAILED {
            rewind_failed(exec);
            return;
        }
        if (*exec).state == STATE_TRAPPING {
            return;
        }
        (*exec).state = STATE_UNWINDING;
        let buffer = &mut *((*exec).embedder as *mut Buffer);
        // The harness's modules import no functions: `func` is defined.
        let layout = &(*buffer.compiled).resume_points(func)[point as usize];
        assert_eq!(layout.record_size(), bytes, "the commit word's size is the layout's");
        assert!(layout.area_words() <= area_words as usize, "a record outside its frame's area");
        let area = area as usize as *const u64;
        for (i, word) in layout.area.iter().enumerate() {
            let value = area.add(usize::from(*word)).read();
            (*exec).cont_ptr.add(i * 8).cast::<u64>().write_unaligned(value);
        }
        let header = u64::from(func) | u64::from(point) << 32;
        (*exec).cont_ptr.add(bytes - 16).cast::<u64>().write_unaligned(vmctx as u64);
        (*exec).cont_ptr.add(bytes - 8).cast::<u64>().write_unaligned(header);
        let used = (*exec).cont_ptr as usize - buffer.bytes.as_ptr() as usize + bytes;
        if buffer.bytes.len() - used < RECORD_ROOM {
            buffer.bytes.resize((used + RECORD_ROOM) * 2, 0);
        }
        (*exec).cont_ptr = buffer.bytes.as_mut_ptr().add(used);
        buffer.install(&mut *exec);
    }
}

unsafe fn rewind_failed(exec: *mut ExecCtx) {
    // SAFETY: compiled code passes its live ExecCtx.
    unsafe {
        // Rewinding, the record was not the function's (a bug): stop the
        // call as the harness's own failure.
        (*exec).trap_code =
            if (*exec).state == STATE_REWINDING { EMBEDDER_STOP } else { TrapCode::StackOverflow as u32 };
        (*exec).state = STATE_TRAPPING;
    }
}

impl Buffer {
    /// Points `exec`'s end and limit at the buffer as it is now.
    fn install(&mut self, exec: &mut ExecCtx) {
        let range = self.bytes.as_mut_ptr_range();
        exec.cont_end = range.end;
    }
}

static BUILTINS: VMBuiltins = VMBuiltins {
    memory_grow: unused_grow,
    memory_fill: unused_memory_fill,
    memory_copy: unused_memory_copy,
    memory_init: unused_memory_init,
    data_drop: unused1,
    table_grow: unused_table_grow,
    table_fill: unused_table_fill,
    table_copy: unused5,
    table_init: unused5,
    elem_drop: unused1,
    commit_record,
    lazy_call: unused_lazy,
    lazy_resume: unused_lazy,
    rewind_frame,
    // The harness never hands a rewind on to a tail callee (the runtime
    // does, see its `call/redirect.rs`): a frame finds its own record.
    rewind_tail_frame: rewind_frame,
    new_exception: unused_new_exception,
};

/// While rewinding, pops the frame's own record into its record area (see
/// `VMBuiltins::rewind_frame`).
unsafe extern "C" fn rewind_frame(vmctx: *mut u8, exec: *mut ExecCtx, func: u32, area: u64, area_slots: u32) -> u32 {
    let marker = 0u8;
    let sp = std::hint::black_box(&marker) as *const u8 as usize;
    // SAFETY: compiled code passes its live ExecCtx and its record area of
    // `area_slots` slots; the harness sets `embedder` to its live `Buffer`,
    // whose records are whole, each ending with its two header words.
    unsafe {
        if (*exec).state != STATE_REWINDING || sp < (*exec).saved_stack_limit {
            (*exec).state = STATE_TRAPPING;
            (*exec).trap_code = TrapCode::StackOverflow as u32;
            return u32::MAX;
        }
        let end = (*exec).cont_ptr;
        let saved_vmctx = end.sub(16).cast::<u64>().read_unaligned();
        let word = end.sub(8).cast::<u64>().read_unaligned();
        let (saved, point) = (word as u32, (word >> 32) as u32);
        let buffer = &*((*exec).embedder as *const Buffer);
        // The harness's modules import no functions: `func` is defined.
        let layout = (*buffer.compiled).resume_points(func).get(point as usize);
        let layout = match layout {
            Some(layout) if saved_vmctx == vmctx as u64 && saved == func => layout,
            _ => {
                (*exec).state = STATE_TRAPPING;
                (*exec).trap_code = EMBEDDER_STOP;
                return u32::MAX;
            }
        };
        let slots = layout.slots.len();
        assert!(layout.area_words() <= area_slots as usize, "a record outside its frame's area");
        let start = end.sub(16 + slots * 8);
        let area = area as usize as *mut u64;
        for (i, word) in layout.area.iter().enumerate() {
            area.add(usize::from(*word)).write(start.add(i * 8).cast::<u64>().read_unaligned());
        }
        (*exec).cont_ptr = start;
        (*exec).resume_point = point;
        point
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_reductions(true)
    }

    pub fn with_reductions(reductions: bool) -> Self {
        let options = CompileOptions { verify: true, reductions, ..CompileOptions::default() };
        Harness { compiler: Compiler::new(&options).expect("host compiler"), stack_budget: 512 * 1024 }
    }

    pub fn load(&self, wat: &str) -> Loaded {
        let wasm = wat::parse_str(wat).expect("valid wat");
        let info = wasmbeam_jit::parse(&wasm).expect("valid module");
        assert_eq!(info.num_imported_functions, 0);
        let mut registry: HashMap<FuncType, u32> = HashMap::new();
        let type_ids: Vec<u32> = info
            .types
            .iter()
            .map(|t| {
                let next = registry.len() as u32;
                *registry.entry(t.clone()).or_insert(next)
            })
            .collect();
        let compiled = self.compiler.compile_module(&info, &wasm, &type_ids).expect("compiles");
        let offsets = info.vm_offsets();
        let mut vmctx = vec![0u64; offsets.size() as usize / 8].into_boxed_slice();
        vmctx[0] = &BUILTINS as *const VMBuiltins as u64;
        let vmctx_ptr = vmctx.as_mut_ptr() as *mut u8;
        let mut funcrefs = Vec::new();
        for i in 0..info.num_defined_functions() {
            let funcref = Box::new(VMFuncRef {
                func_ptr: compiled.function_ptr(i).expect("host code"),
                vmctx: vmctx_ptr,
                type_id: type_ids[info.functions[i as usize] as usize],
                embedder_index: i,
            });
            vmctx[(offsets.funcref(i) / 8) as usize] = &*funcref as *const VMFuncRef as u64;
            funcrefs.push(funcref);
        }
        Loaded { info, _compiled: compiled, _funcrefs: funcrefs, vmctx }
    }

    /// Calls export `name` with raw slot arguments to completion.
    pub fn call(&self, module: &mut Loaded, name: &str, args: &[u64]) -> Result<Vec<u64>, TrapCode> {
        self.call_sliced(module, name, args, None).map(|(results, _)| results)
    }

    /// Calls export `name`; with `slice`, fuel runs out every `slice` units
    /// and the call is suspended (unwound to the buffer) and resumed until
    /// it finishes.
    pub fn call_sliced(
        &self,
        module: &mut Loaded,
        name: &str,
        args: &[u64],
        slice: Option<i64>,
    ) -> Result<(Vec<u64>, SliceStats), TrapCode> {
        let export = module.info.export(name).expect("export exists").index;
        let ty = module.info.func_type(export).clone();
        let trampolines = self.compiler.compile_trampolines(&ty).expect("trampolines");
        let mut values = vec![0u64; ty.params.len().max(ty.results.len()).max(1)];
        values[..args.len()].copy_from_slice(args);
        let marker = 0u8;
        let limit = &marker as *const u8 as usize - self.stack_budget;
        let mut buffer = Buffer { bytes: vec![0; RECORD_ROOM], compiled: &module._compiled };
        let mut exec = ExecCtx::new(limit, &mut buffer as *mut Buffer as *mut _);
        exec.cont_ptr = buffer.bytes.as_mut_ptr();
        buffer.install(&mut exec);
        let funcref = module.vmctx[(module.info.vm_offsets().funcref(export) / 8) as usize] as *const VMFuncRef;
        let mut stats = SliceStats::default();
        loop {
            exec.fuel = slice.unwrap_or(MAX_FUEL_GRANT);
            // SAFETY: `funcref` points at a live VMFuncRef of this module
            // whose code and vmctx outlive the call; `values` has a slot for
            // every parameter and result of the trampoline's type.
            unsafe {
                (trampolines.entry)((*funcref).vmctx, &mut exec, (*funcref).func_ptr, values.as_mut_ptr());
            }
            match exec.state {
                STATE_TRAPPING => match TrapCode::from_u32(exec.trap_code) {
                    Some(code) => return Err(code),
                    None => panic!("the harness stopped the call: a record was not its function's, or had no room"),
                },
                STATE_UNWINDING => {
                    stats.suspensions += 1;
                    let used = exec.cont_ptr as usize - buffer.bytes.as_ptr() as usize;
                    stats.largest_continuation = stats.largest_continuation.max(used);
                    values.iter_mut().for_each(|v| *v = 0);
                    exec.state = STATE_REWINDING;
                    exec.saved_stack_limit = limit;
                    exec.stack_limit = usize::MAX;
                }
                STATE_RUNNING => break,
                other => panic!("returned in state {other}"),
            }
        }
        assert_eq!(exec.cont_ptr, buffer.bytes.as_mut_ptr(), "every record was consumed");
        // 32-bit results occupy only the low half of their slot.
        let results = ty
            .results
            .iter()
            .zip(values)
            .map(|(t, v)| match t {
                ValType::I32 | ValType::F32 => v & 0xffff_ffff,
                _ => v,
            })
            .collect();
        Ok((results, stats))
    }
}

pub fn run(wat: &str, name: &str, args: &[u64]) -> Result<Vec<u64>, TrapCode> {
    let harness = Harness::new();
    let mut module = harness.load(wat);
    harness.call(&mut module, name, args)
}

pub fn i32s(values: &[i32]) -> Vec<u64> {
    values.iter().map(|v| *v as u32 as u64).collect()
}
