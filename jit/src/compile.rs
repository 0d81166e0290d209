//! Driving Cranelift: target configuration, compiling every function of a
//! module, laying the code out in one block and linking the direct calls.

use crate::abi;
use crate::code_memory::CodeMemory;
use crate::error::CompileError;
use crate::limits;
use crate::module_info::{FuncType, ModuleInfo};
use crate::resume::ResumePoint;
use crate::translate::{EntryChecks, FuncTranslator};
use crate::vm::EntryTrampoline;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, ExternalName, LibCall};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use std::sync::Arc;

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
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            target: Target::Host,
            opt_level: OptLevel::Speed,
            verify: cfg!(debug_assertions),
            reductions: true,
            code_offset: 0,
        }
    }
}

/// A configured code generator. Cheap to clone and shareable across threads.
#[derive(Clone)]
pub struct Compiler {
    isa: OwnedTargetIsa,
    executable: bool,
    reductions: bool,
    code_offset: usize,
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
        let builder = match options.target {
            Target::Host => cranelift_native::builder().map_err(|e| CompileError::Target(e.to_string()))?,
            Target::X86_64 => {
                cranelift_codegen::isa::lookup_by_name("x86_64").map_err(|e| CompileError::Target(e.to_string()))?
            }
            Target::Aarch64 => {
                cranelift_codegen::isa::lookup_by_name("aarch64").map_err(|e| CompileError::Target(e.to_string()))?
            }
        };
        let isa = builder.finish(settings::Flags::new(flags)).map_err(|e| CompileError::Target(e.to_string()))?;
        if isa.pointer_bits() != 64 {
            return Err(CompileError::Target("wasmbeam needs a 64-bit target".into()));
        }
        let executable = match options.target {
            Target::Host => true,
            Target::X86_64 => host_arch == target_lexicon::Architecture::X86_64,
            Target::Aarch64 => matches!(host_arch, target_lexicon::Architecture::Aarch64(_)),
        };
        Ok(Compiler { isa, executable, reductions: options.reductions, code_offset: options.code_offset })
    }

    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    /// Whether code from this compiler can run on this machine.
    pub fn is_executable(&self) -> bool {
        self.executable
    }

    /// Compiles every defined function of a validated module. `type_ids`
    /// maps each of the module's type indices to its engine-wide id (what
    /// `call_indirect` compares). `wasm` is the module's bytes, from which
    /// `info` was parsed.
    pub fn compile_module(
        &self,
        info: &ModuleInfo,
        wasm: &[u8],
        type_ids: &[u32],
    ) -> Result<CompiledModule, CompileError> {
        let mut translator = FuncTranslator::new();
        let mut ctx = Context::new();
        let mut code = Vec::new();
        let mut offsets = Vec::with_capacity(info.bodies.len());
        let mut resume_points = Vec::with_capacity(info.bodies.len());
        let mut relocs = Vec::new();
        let entry_checks = if self.reductions { Some(EntryChecks::scan(info, wasm)?) } else { None };
        for defined in 0..info.num_defined_functions() {
            let func_index = info.num_imported_functions + defined;
            ctx.clear();
            let points = translator.translate(
                self.isa(),
                info,
                type_ids,
                wasm,
                func_index,
                entry_checks.as_ref(),
                &mut ctx.func,
            )?;
            if let Some(largest) = points.iter().map(|p| p.slots.len()).max() {
                if largest > limits::MAX_RECORD_SLOTS {
                    return Err(CompileError::LimitExceeded {
                        what: "locals and operand stack values saved at one resume point",
                        count: largest,
                        max: limits::MAX_RECORD_SLOTS,
                    });
                }
            }
            resume_points.push(points);
            let start = align_to(code.len(), 16) + self.code_offset;
            code.resize(start, 0);
            self.emit(&mut ctx, func_index, start, &mut code, &mut relocs)?;
            offsets.push(start);
        }
        let code_size = code.len();
        let memory = if self.executable { Some(Arc::new(link(&code, &relocs, &offsets)?)) } else { None };
        Ok(CompiledModule { memory, offsets, code_size, resume_points, reductions: self.reductions })
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
        self.emit(&mut ctx, u32::MAX, stub_offset, &mut code, &mut relocs)?;
        let memory = link(&code, &relocs, &[])?;
        let base = memory.as_ptr();
        // SAFETY: offset 0 of this code block is the entry trampoline, compiled
        // with exactly the `EntryTrampoline` signature in the host's default
        // (system_v) convention.
        let entry = unsafe { std::mem::transmute::<*const u8, EntryTrampoline>(base) };
        // SAFETY: `stub_offset` is within the block (the stub was emitted there).
        let host_stub = unsafe { base.add(stub_offset) };
        Ok(CompiledTrampolines { _memory: memory, entry, host_stub })
    }

    /// Compiles `ctx.func`, appends its code at `start` and records its
    /// relocations with positions relative to the whole block.
    fn emit(
        &self,
        ctx: &mut Context,
        func_index: u32,
        start: usize,
        code: &mut Vec<u8>,
        relocs: &mut Vec<PendingReloc>,
    ) -> Result<(), CompileError> {
        let names = ctx.func.params.user_named_funcs().clone();
        let compiled = ctx
            .compile(self.isa(), &mut ControlPlane::default())
            .map_err(|e| CompileError::Internal { func_index: Some(func_index), message: e.inner.to_string() })?;
        code.extend_from_slice(compiled.code_buffer());
        for reloc in compiled.buffer.relocs() {
            let target = match &reloc.target {
                FinalizedRelocTarget::Func(offset) => RelocTarget::Code(start + *offset as usize),
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    let name = &names[*name];
                    RelocTarget::Function(name.index)
                }
                FinalizedRelocTarget::ExternalName(ExternalName::LibCall(libcall)) => {
                    RelocTarget::Address(libcall_address(*libcall).ok_or_else(|| CompileError::Internal {
                        func_index: Some(func_index),
                        message: format!("unsupported libcall {libcall:?}"),
                    })?)
                }
                other => {
                    return Err(CompileError::Internal {
                        func_index: Some(func_index),
                        message: format!("unexpected relocation {other:?}"),
                    })
                }
            };
            relocs.push(PendingReloc {
                at: start + reloc.offset as usize,
                kind: reloc.kind,
                target,
                addend: reloc.addend,
            });
        }
        Ok(())
    }
}

/// A compiled module's machine code.
pub struct CompiledModule {
    memory: Option<Arc<CodeMemory>>,
    offsets: Vec<usize>,
    code_size: usize,
    resume_points: Vec<Vec<ResumePoint>>,
    reductions: bool,
}

impl CompiledModule {
    /// Whether the code counts reductions and can suspend.
    pub fn has_reductions(&self) -> bool {
        self.reductions
    }

    /// Bytes of the largest continuation record any function of this module
    /// writes (0 without reductions): while its code runs, the runtime keeps
    /// at least this much free in the continuation buffer.
    pub fn max_record_size(&self) -> usize {
        self.resume_points.iter().flatten().map(ResumePoint::record_size).max().unwrap_or(0)
    }

    /// The resume points of defined function `defined_index` (imports not
    /// counted), indexed as in continuation record headers.
    pub fn resume_points(&self, defined_index: u32) -> &[ResumePoint] {
        self.resume_points.get(defined_index as usize).map_or(&[], |p| p.as_slice())
    }

    /// Bytes of machine code (functions and their padding).
    pub fn code_size(&self) -> usize {
        self.code_size
    }

    /// The code block, if it was compiled for this machine. Holders of
    /// function pointers keep it alive through this `Arc`.
    pub fn code_memory(&self) -> Option<&Arc<CodeMemory>> {
        self.memory.as_ref()
    }

    /// The native entry point of defined function `defined_index` (not
    /// counting imports), or `None` if the code is not executable here.
    pub fn function_ptr(&self, defined_index: u32) -> Option<*const u8> {
        let memory = self.memory.as_ref()?;
        let offset = *self.offsets.get(defined_index as usize)?;
        // SAFETY: every recorded offset lies within the code block.
        Some(unsafe { memory.as_ptr().add(offset) })
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
}

// SAFETY: both pointers point into `_memory`, immutable executable code
// owned by this value.
unsafe impl Send for CompiledTrampolines {}
// SAFETY: as above.
unsafe impl Sync for CompiledTrampolines {}

enum RelocTarget {
    /// The defined function with this index (imports not counted).
    Function(u32),
    /// An offset in the code block.
    Code(usize),
    Address(usize),
}

struct PendingReloc {
    at: usize,
    kind: Reloc,
    target: RelocTarget,
    addend: i64,
}

fn align_to(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

/// Copies `code` into executable memory and applies the relocations.
/// `offsets[i]` is where defined function `i` starts (calls to imports go
/// through the vmctx, so they are never relocation targets).
fn link(code: &[u8], relocs: &[PendingReloc], offsets: &[usize]) -> Result<CodeMemory, CompileError> {
    let mut error = None;
    let memory = CodeMemory::new(code, |bytes, base| {
        for reloc in relocs {
            let target = match reloc.target {
                RelocTarget::Function(defined) => match offsets.get(defined as usize) {
                    Some(offset) => base + offset,
                    None => {
                        error = Some(format!("call to unknown function {defined}"));
                        return;
                    }
                },
                RelocTarget::Code(offset) => base + offset,
                RelocTarget::Address(address) => address,
            };
            let at = base + reloc.at;
            match reloc.kind {
                Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => {
                    let delta = (target as i64).wrapping_add(reloc.addend).wrapping_sub(at as i64);
                    match i32::try_from(delta) {
                        Ok(d) => bytes[reloc.at..reloc.at + 4].copy_from_slice(&d.to_le_bytes()),
                        Err(_) => error = Some("call displacement out of range".into()),
                    }
                }
                Reloc::Abs8 => {
                    let value = (target as i64).wrapping_add(reloc.addend);
                    bytes[reloc.at..reloc.at + 8].copy_from_slice(&value.to_le_bytes());
                }
                Reloc::Arm64Call => {
                    // `bl`/`b`: a signed 26-bit count of instructions (±128 MiB).
                    let delta = (target as i64).wrapping_add(reloc.addend).wrapping_sub(at as i64);
                    if delta % 4 != 0 || !(-(1i64 << 27)..(1i64 << 27)).contains(&delta) {
                        error = Some("call displacement out of range".into());
                        continue;
                    }
                    let field = &mut bytes[reloc.at..reloc.at + 4];
                    let insn = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
                    let patched = (insn & !0x03ff_ffff) | (((delta >> 2) as u32) & 0x03ff_ffff);
                    field.copy_from_slice(&patched.to_le_bytes());
                }
                other => error = Some(format!("unsupported relocation {other:?}")),
            }
        }
    })?;
    match error {
        Some(message) => Err(CompileError::Internal { func_index: None, message }),
        None => Ok(memory),
    }
}

/// Rounding functions Cranelift calls when the CPU lacks an instruction.
fn libcall_address(libcall: LibCall) -> Option<usize> {
    extern "C" fn ceil_f32(x: f32) -> f32 {
        x.ceil()
    }
    extern "C" fn ceil_f64(x: f64) -> f64 {
        x.ceil()
    }
    extern "C" fn floor_f32(x: f32) -> f32 {
        x.floor()
    }
    extern "C" fn floor_f64(x: f64) -> f64 {
        x.floor()
    }
    extern "C" fn trunc_f32(x: f32) -> f32 {
        x.trunc()
    }
    extern "C" fn trunc_f64(x: f64) -> f64 {
        x.trunc()
    }
    extern "C" fn nearest_f32(x: f32) -> f32 {
        x.round_ties_even()
    }
    extern "C" fn nearest_f64(x: f64) -> f64 {
        x.round_ties_even()
    }
    Some(match libcall {
        LibCall::CeilF32 => ceil_f32 as *const () as usize,
        LibCall::CeilF64 => ceil_f64 as *const () as usize,
        LibCall::FloorF32 => floor_f32 as *const () as usize,
        LibCall::FloorF64 => floor_f64 as *const () as usize,
        LibCall::TruncF32 => trunc_f32 as *const () as usize,
        LibCall::TruncF64 => trunc_f64 as *const () as usize,
        LibCall::NearestF32 => nearest_f32 as *const () as usize,
        LibCall::NearestF64 => nearest_f64 as *const () as usize,
        _ => return None,
    })
}

/// The name a direct call uses for defined function `defined_index`
/// (imports not counted).
pub(crate) fn function_name(defined_index: u32) -> ir::UserExternalName {
    ir::UserExternalName::new(0, defined_index)
}
