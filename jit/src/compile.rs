//! Driving Cranelift: target configuration, compiling every function of a
//! module, laying the code out in one block and linking the direct calls.

use crate::abi;
use crate::code_memory::CodeMemory;
use crate::compiled::{CodeImage, CompiledModule};
use crate::error::CompileError;
use crate::limits;
use crate::link::{link, RelocKind, RelocTarget, Relocation, RoundingCall};
use crate::module_info::{FuncType, ModuleInfo};
use crate::resume::ResumePoint;
use crate::translate::{CallGraph, FuncTranslator};
use crate::vm::EntryTrampoline;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, ExternalName};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::PoisonError;

/// Function bodies larger than this compile one at a time (see
/// `Job::compile_all`).
const LARGE_FUNCTION_BYTES: usize = 64 * 1024;

/// The machine to generate code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The machine we run on; the only target whose code can be executed.
    Host,
    X86_64,
    Aarch64,
}

impl Target {
    /// The supported architecture this machine is not: aarch64 on x86_64,
    /// x86_64 on aarch64 (and on any other host). What cross-compilation
    /// checks target.
    pub fn foreign() -> Target {
        if cfg!(target_arch = "x86_64") {
            Target::Aarch64
        } else {
            Target::X86_64
        }
    }

    /// The architecture's name, as [`FromStr`](std::str::FromStr) reads it.
    pub fn name(self) -> &'static str {
        match self {
            Target::Host => "host",
            Target::X86_64 => "x86_64",
            Target::Aarch64 => "aarch64",
        }
    }
}

impl std::str::FromStr for Target {
    type Err = CompileError;
    fn from_str(s: &str) -> Result<Target, CompileError> {
        match s {
            "host" => Ok(Target::Host),
            "x86_64" => Ok(Target::X86_64),
            "aarch64" => Ok(Target::Aarch64),
            other => Err(CompileError::Target(format!("unknown target `{other}` (host, x86_64, aarch64)"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptLevel {
    None,
    Speed,
}

#[derive(Debug, Clone)]
pub struct CompileOptions {
    pub target: Target,
    pub opt_level: OptLevel,
    /// Run Cranelift's IR verifier on every function (slow; for tests).
    pub verify: bool,
    /// Compile reduction counting and resume points, so calls can be
    /// sliced, suspended and resumed. Without it, code is faster but a call
    /// runs to completion (or traps) and cannot suspend.
    pub reductions: bool,
    /// Bytes left free before each function's code, after aligning it to 16
    /// (default 0). Where a loop lands within cache lines and fetch blocks
    /// moves its speed by several percent either way (the interpreter
    /// benchmark: 12%, with or without reductions), so benchmarks measure
    /// at a few offsets to average that out.
    pub code_offset: usize,
    /// Threads that compile a module's functions at once (0: one per
    /// core). The code is the same for any number.
    pub threads: usize,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            target: Target::Host,
            opt_level: OptLevel::Speed,
            verify: cfg!(debug_assertions),
            reductions: true,
            code_offset: 0,
            threads: 0,
        }
    }
}

/// A configured code generator. Cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct Compiler {
    isa: OwnedTargetIsa,
    /// As `isa`, with frame pointers in every function: for lazy stubs.
    stub_isa: OwnedTargetIsa,
    executable: bool,
    reductions: bool,
    code_offset: usize,
    /// Resolved: at least 1.
    threads: usize,
}

impl Compiler {
    pub fn new(options: &CompileOptions) -> Result<Compiler, CompileError> {
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name: &str, value: &str| {
            flags.set(name, value).map_err(|e| CompileError::Target(format!("setting {name}: {e}")))
        };
        set(
            &mut flags,
            "opt_level",
            match options.opt_level {
                OptLevel::None => "none",
                OptLevel::Speed => "speed",
            },
        )?;
        set(&mut flags, "enable_verifier", if options.verify { "true" } else { "false" })?;
        set(&mut flags, "is_pic", "false")?;
        // The stack is checked explicitly at function entry (see translate).
        set(&mut flags, "enable_probestack", "false")?;
        set(&mut flags, "enable_alias_analysis", "true")?;
        let host_arch = target_lexicon::Triple::host().architecture;
        let builder = || match options.target {
            Target::Host => cranelift_native::builder().map_err(|e| CompileError::Target(e.to_string())),
            Target::X86_64 => {
                let mut builder = cranelift_codegen::isa::lookup_by_name("x86_64")
                    .map_err(|e| CompileError::Target(e.to_string()))?;
                // What SIMD needs (see `translate::simd::vector_isa`):
                // code compiled for another x86_64 CPU assumes it, and its
                // CPU features say so.
                for feature in ["has_sse3", "has_ssse3", "has_sse41"] {
                    builder.enable(feature).map_err(|e| CompileError::Target(format!("{feature}: {e}")))?;
                }
                Ok(builder)
            }
            Target::Aarch64 => {
                cranelift_codegen::isa::lookup_by_name("aarch64").map_err(|e| CompileError::Target(e.to_string()))
            }
        };
        let shared = settings::Flags::new(flags.clone());
        let isa = builder()?.finish(shared).map_err(|e| CompileError::Target(e.to_string()))?;
        // Lazy stubs and functions with `return_call` tail-call, which
        // Cranelift implements with frame pointers kept in every function
        // that does it.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        let stub_isa =
            builder()?.finish(settings::Flags::new(flags)).map_err(|e| CompileError::Target(e.to_string()))?;
        if isa.pointer_bits() != 64 {
            return Err(CompileError::Target("wasmbeam needs a 64-bit target".into()));
        }
        let executable = match options.target {
            Target::Host => true,
            Target::X86_64 => host_arch == target_lexicon::Architecture::X86_64,
            Target::Aarch64 => matches!(host_arch, target_lexicon::Architecture::Aarch64(_)),
        };
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(Compiler {
            isa,
            stub_isa,
            executable,
            reductions: options.reductions,
            code_offset: options.code_offset,
            threads,
        })
    }

    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    /// The ISA lazy stubs and functions that make tail calls are compiled
    /// with (it keeps frame pointers; see `stub_isa`).
    pub(crate) fn stub_isa(&self) -> &dyn TargetIsa {
        &*self.stub_isa
    }

    /// Everything about this compiler that changes the code it generates,
    /// as text (equal texts: interchangeable code): the code generator's
    /// id, the target, the optimization level, reduction counting, the code
    /// offset, and Cranelift's settings.
    pub fn settings_key(&self) -> String {
        let flags = self.isa.flags().iter().filter(|v| v.name != "enable_verifier");
        let flags: Vec<String> = flags.map(|v| v.to_string()).collect();
        format!(
            "codegen {}; target {}; reductions {}; code offset {}; {}",
            crate::CODEGEN_ID,
            self.isa.triple().architecture,
            self.reductions,
            self.code_offset,
            flags.join(", ")
        )
    }

    /// The CPU features this compiler's code may use (the target's
    /// boolean settings that are on): code is only run on a CPU that has
    /// them all.
    pub fn cpu_features(&self) -> Vec<&'static str> {
        self.isa.isa_flags().iter().filter(|v| v.as_bool() == Some(true)).map(|v| v.name).collect()
    }

    /// Whether this compiler's code counts reductions.
    pub fn has_reductions(&self) -> bool {
        self.reductions
    }

    /// Whether code from this compiler can run on this machine.
    pub fn is_executable(&self) -> bool {
        self.executable
    }

    /// Compiles every defined function of a validated module, on
    /// [`CompileOptions::threads`] threads. `type_ids` maps each of the
    /// module's type indices to its engine-wide id (what `call_indirect`
    /// compares). `wasm` is the module's bytes, from which `info` was
    /// parsed. The result does not depend on the number of threads.
    pub fn compile_module(
        &self,
        info: &ModuleInfo,
        wasm: &[u8],
        type_ids: &[u32],
    ) -> Result<CompiledModule, CompileError> {
        let calls = if self.reductions { Some(CallGraph::scan(info, wasm)?) } else { None };
        let job = Job { compiler: self, info, wasm, calls: calls.as_ref() };
        let functions = job.compile_all(self.threads)?;
        let mut code = Vec::new();
        let mut offsets = Vec::with_capacity(functions.len());
        let mut resume_points = Vec::with_capacity(functions.len());
        let mut relocs = Vec::new();
        for function in functions {
            let start = align_to(code.len(), 16) + self.code_offset;
            code.resize(start, 0);
            code.extend_from_slice(&function.code);
            let start32 = u32::try_from(start).map_err(|_| CompileError::LimitExceeded {
                what: "bytes of machine code",
                count: start,
                max: u32::MAX as usize,
            })?;
            relocs.extend(function.relocs.into_iter().map(|r| moved_by(r, start32)));
            offsets.push(start32);
            resume_points.push(function.resume_points);
        }
        let image = CodeImage { code, offsets, relocs, resume_points, reductions: self.reductions };
        CompiledModule::link(image, type_ids, self.executable)
    }

    /// Links code read back from bytes (a serialized module) for this
    /// machine, after checking that it holds together (see
    /// [`CodeImage::check`]); `type_ids` as for [`Compiler::compile_module`].
    /// That check is structural: the machine code itself is run as it is,
    /// so it must come from a compiler with this one's settings.
    pub fn load(&self, image: CodeImage, type_ids: &[u32]) -> Result<CompiledModule, CompileError> {
        image.check(type_ids.len()).map_err(CompileError::BadImage)?;
        CompiledModule::link(image, type_ids, self.executable)
    }

    /// Compiles the entry trampoline and host stub for one function type.
    /// Only for an executable compiler.
    pub fn compile_trampolines(&self, ty: &FuncType) -> Result<CompiledTrampolines, CompileError> {
        if !self.executable {
            return Err(CompileError::Target("trampolines are only compiled for the host".into()));
        }
        let mut ctx = Context::new();
        let mut code = Vec::new();
        let mut relocs = Vec::new();
        ctx.func = abi::entry_trampoline(self.isa(), ty);
        self.emit(&mut ctx, u32::MAX, 0, &mut code, &mut relocs)?;
        let stub_offset = align_to(code.len(), 16);
        code.resize(stub_offset, 0);
        ctx.clear();
        ctx.func = abi::host_stub(self.isa(), ty);
        self.emit(&mut ctx, u32::MAX, stub_offset as u32, &mut code, &mut relocs)?;
        let thunk_offset = align_to(code.len(), 16);
        code.resize(thunk_offset, 0);
        ctx.clear();
        ctx.func = abi::rewind_thunk(self.isa(), ty);
        self.emit(&mut ctx, STUB_FUNC_INDEX, thunk_offset as u32, &mut code, &mut relocs)?;
        let memory = link(&code, &relocs, &[], &[])?;
        let base = memory.as_ptr();
        // SAFETY: offset 0 of this code block is the entry trampoline, compiled
        // with exactly the `EntryTrampoline` signature in the host's default
        // (system_v) convention.
        let entry = unsafe { std::mem::transmute::<*const u8, EntryTrampoline>(base) };
        // SAFETY: `stub_offset` is within the block (the stub was emitted there).
        let host_stub = unsafe { base.add(stub_offset) };
        // SAFETY: as above.
        let rewind_thunk = unsafe { base.add(thunk_offset) };
        Ok(CompiledTrampolines { _memory: memory, entry, host_stub, rewind_thunk })
    }

    /// Compiles `ctx.func`, appends its code at `start` and records its
    /// relocations with positions relative to the start of `code`.
    pub(crate) fn emit(
        &self,
        ctx: &mut Context,
        func_index: u32,
        start: u32,
        code: &mut Vec<u8>,
        relocs: &mut Vec<Relocation>,
    ) -> Result<(), CompileError> {
        let names = ctx.func.params.user_named_funcs().clone();
        let isa =
            if func_index == STUB_FUNC_INDEX || makes_tail_calls(&ctx.func) { self.stub_isa() } else { self.isa() };
        let compiled = ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| CompileError::Internal { func_index: Some(func_index), message: e.inner.to_string() })?;
        code.extend_from_slice(compiled.code_buffer());
        for reloc in compiled.buffer.relocs() {
            let target = match &reloc.target {
                FinalizedRelocTarget::Func(offset) => RelocTarget::Code(start + *offset),
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    let name = &names[*name];
                    match name.namespace {
                        FUNCTION_NAMESPACE => RelocTarget::Function(name.index),
                        TYPE_ID_NAMESPACE => RelocTarget::TypeId(name.index),
                        LAZY_INDEX_NAMESPACE => RelocTarget::StubFunction,
                        LAZY_TABLE_NAMESPACE => RelocTarget::StubTable,
                        other => {
                            return Err(CompileError::Internal {
                                func_index: Some(func_index),
                                message: format!("relocation to unknown namespace {other}"),
                            })
                        }
                    }
                }
                FinalizedRelocTarget::ExternalName(ExternalName::LibCall(libcall)) => {
                    RelocTarget::LibCall(RoundingCall::from_cranelift(*libcall).ok_or_else(|| {
                        CompileError::Internal {
                            func_index: Some(func_index),
                            message: format!("unsupported libcall {libcall:?}"),
                        }
                    })?)
                }
                other => {
                    return Err(CompileError::Internal {
                        func_index: Some(func_index),
                        message: format!("unexpected relocation {other:?}"),
                    })
                }
            };
            let kind = RelocKind::from_cranelift(reloc.kind).ok_or_else(|| CompileError::Internal {
                func_index: Some(func_index),
                message: format!("unsupported relocation {:?}", reloc.kind),
            })?;
            relocs.push(Relocation { at: start + reloc.offset, kind, target, addend: reloc.addend });
        }
        Ok(())
    }
}

/// Entry trampoline and host stub for one function type.
pub struct CompiledTrampolines {
    _memory: CodeMemory,
    /// Valid for as long as this value lives.
    pub entry: EntryTrampoline,
    /// The host stub's code: use as [`crate::vm::VMFuncRef::func_ptr`] of a
    /// host function of this type. Valid for as long as this value lives.
    pub host_stub: *const u8,
    /// The rewind thunk of this type (see `abi::rewind_thunk`). Valid for
    /// as long as this value lives.
    pub rewind_thunk: *const u8,
}

// SAFETY: all three pointers point into `_memory`, immutable executable code
// owned by this value.
unsafe impl Send for CompiledTrampolines {}
// SAFETY: as above.
unsafe impl Sync for CompiledTrampolines {}

/// A relocation for code moved `by` bytes further.
fn moved_by(reloc: Relocation, by: u32) -> Relocation {
    let target = match reloc.target {
        RelocTarget::Code(offset) => RelocTarget::Code(offset + by),
        other => other,
    };
    Relocation { at: reloc.at + by, target, ..reloc }
}

/// One function's machine code, with relocations relative to its start.
pub(crate) struct CompiledFunction {
    pub(crate) code: Vec<u8>,
    pub(crate) relocs: Vec<Relocation>,
    pub(crate) resume_points: Vec<ResumePoint>,
}

/// Compiling the functions of one module.
pub(crate) struct Job<'a> {
    pub(crate) compiler: &'a Compiler,
    pub(crate) info: &'a ModuleInfo,
    pub(crate) wasm: &'a [u8],
    pub(crate) calls: Option<&'a CallGraph>,
}

impl Job<'_> {
    /// Every defined function, in order. Threads take functions in index
    /// order, so when some fail, every function before the first failure
    /// was compiled too: the error is the one a single thread would report.
    fn compile_all(&self, threads: usize) -> Result<Vec<CompiledFunction>, CompileError> {
        let count = self.info.num_defined_functions();
        let threads = threads.clamp(1, (count as usize).max(1));
        if threads == 1 {
            let mut worker = Worker::default();
            return (0..count).map(|defined| self.compile(&mut worker, defined)).collect();
        }
        let next = AtomicU32::new(0);
        let failed = AtomicBool::new(false);
        let large = std::sync::Mutex::new(());
        let work = || {
            let mut worker = Worker::default();
            let mut done = Vec::new();
            while !failed.load(Ordering::Relaxed) {
                let defined = next.fetch_add(1, Ordering::Relaxed);
                if defined >= count {
                    break;
                }
                // One large function at a time: compiling one takes memory
                // in proportion to its size, hundreds of MB for the largest
                // functions of real programs.
                let is_large = self.info.bodies[defined as usize].len() > LARGE_FUNCTION_BYTES;
                let _one_at_a_time = is_large.then(|| large.lock().unwrap_or_else(PoisonError::into_inner));
                let result = self.compile(&mut worker, defined);
                failed.fetch_or(result.is_err(), Ordering::Relaxed);
                done.push((defined, result));
            }
            done
        };
        let mut results: Vec<(u32, Result<CompiledFunction, CompileError>)> = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut all = work();
            for helper in helpers {
                match helper.join() {
                    Ok(done) => all.extend(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            all
        });
        results.sort_unstable_by_key(|(defined, _)| *defined);
        results.into_iter().map(|(_, result)| result).collect()
    }

    pub(crate) fn compile(&self, worker: &mut Worker, defined: u32) -> Result<CompiledFunction, CompileError> {
        let func_index = self.info.num_imported_functions + defined;
        let ctx = &mut worker.ctx;
        ctx.clear();
        let resume_points = worker.translator.translate(
            self.compiler.isa(),
            self.info,
            self.wasm,
            func_index,
            self.calls,
            &mut ctx.func,
        )?;
        if let Some(largest) = resume_points.iter().map(|p| p.words()).max() {
            if largest > limits::MAX_RECORD_SLOTS {
                return Err(CompileError::LimitExceeded {
                    what: "words of locals and operand stack values saved at one resume point (a v128 takes two)",
                    count: largest,
                    max: limits::MAX_RECORD_SLOTS,
                });
            }
        }
        let mut code = Vec::new();
        let mut relocs = Vec::new();
        self.compiler.emit(ctx, func_index, 0, &mut code, &mut relocs)?;
        Ok(CompiledFunction { code, relocs, resume_points })
    }
}

/// Whether `func` has a tail call (then it must keep its frame pointer).
fn makes_tail_calls(func: &cranelift_codegen::ir::Function) -> bool {
    use cranelift_codegen::ir::Opcode;
    func.layout
        .blocks()
        .filter_map(|block| func.layout.last_inst(block))
        .any(|inst| matches!(func.dfg.insts[inst].opcode(), Opcode::ReturnCall | Opcode::ReturnCallIndirect))
}

/// What one compiling thread reuses from function to function.
pub(crate) struct Worker {
    translator: FuncTranslator,
    ctx: Context,
}

impl Default for Worker {
    fn default() -> Self {
        Worker { translator: FuncTranslator::new(), ctx: Context::new() }
    }
}

fn align_to(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

/// What [`Compiler::emit`] is told is compiling a lazy stub.
pub(crate) const STUB_FUNC_INDEX: u32 = u32::MAX - 1;

/// Namespaces of the external names in compiled code: defined functions
/// (direct calls) and engine-wide type ids (`call_indirect` checks).
const FUNCTION_NAMESPACE: u32 = 0;
const TYPE_ID_NAMESPACE: u32 = 1;
/// In lazy stubs (see `abi::lazy_stub`): the stub's function, the table.
const LAZY_INDEX_NAMESPACE: u32 = 2;
const LAZY_TABLE_NAMESPACE: u32 = 3;

/// The name a direct call uses for defined function `defined_index`
/// (imports not counted).
pub(crate) fn function_name(defined_index: u32) -> ir::UserExternalName {
    ir::UserExternalName::new(FUNCTION_NAMESPACE, defined_index)
}

/// The name whose value the linker sets to the engine-wide id of the
/// module's type `type_index`.
pub(crate) fn type_id_name(type_index: u32) -> ir::UserExternalName {
    ir::UserExternalName::new(TYPE_ID_NAMESPACE, type_index)
}

/// The name whose value the linker sets to a lazy stub's defined function
/// index (see `abi::lazy_stub`).
pub(crate) fn lazy_index_name() -> ir::UserExternalName {
    ir::UserExternalName::new(LAZY_INDEX_NAMESPACE, 0)
}

/// The name whose value the linker sets to the address of a lazily
/// compiled module's table of code (see `abi::lazy_stub`).
pub(crate) fn lazy_table_name() -> ir::UserExternalName {
    ir::UserExternalName::new(LAZY_TABLE_NAMESPACE, 0)
}
