//! Relocations: the places in compiled code that depend on where things
//! end up (other functions, the engine's type ids, runtime helpers), and
//! writing them once the code has its final address.
//!
//! They are plain data, independent of the engine that compiled the code
//! and of where it was loaded, so that a serialized module can be linked
//! again in another process (see [`crate::CodeImage`]).

use crate::code_memory::CodeMemory;
use crate::error::CompileError;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::LibCall;

/// One place in a module's code to patch when linking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relocation {
    /// Offset of the patched field in the module's code.
    pub at: u32,
    pub kind: RelocKind,
    pub target: RelocTarget,
    pub addend: i64,
}

/// How a relocation's field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocKind {
    /// x86_64: a 32-bit displacement from the field (calls, `lea`).
    X86PcRel4,
    /// The 64-bit value itself.
    Abs8,
    /// aarch64 `bl`/`b`: a signed 26-bit count of instructions.
    Arm64Call,
}

/// What a relocation refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocTarget {
    /// The defined function with this index (imports not counted).
    Function(u32),
    /// An offset in the module's code (constants, jump tables).
    Code(u32),
    /// Not an address: the engine-wide id of the module's type with this
    /// index (what `call_indirect` compares).
    TypeId(u32),
    /// A helper Cranelift calls when the CPU lacks an instruction.
    LibCall(RoundingCall),
    /// Only in the stubs of lazily compiled modules: not an address, the
    /// defined index of the stub's function.
    StubFunction,
    /// Only in the stubs of lazily compiled modules: the address of the
    /// module's table of compiled code.
    StubTable,
}

/// The rounding helpers compiled code may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingCall {
    CeilF32,
    CeilF64,
    FloorF32,
    FloorF64,
    TruncF32,
    TruncF64,
    NearestF32,
    NearestF64,
}

impl RelocKind {
    /// Bytes of the field.
    pub fn width(self) -> usize {
        match self {
            RelocKind::X86PcRel4 | RelocKind::Arm64Call => 4,
            RelocKind::Abs8 => 8,
        }
    }

    /// Clears what linking writes into `field` (the relocation's bytes),
    /// leaving the rest of the instruction: code with every relocated
    /// field cleared no longer depends on where it was linked.
    pub(crate) fn clear(self, field: &mut [u8]) {
        match self {
            RelocKind::X86PcRel4 | RelocKind::Abs8 => field.fill(0),
            RelocKind::Arm64Call => {
                let insn = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
                field.copy_from_slice(&(insn & !0x03ff_ffff).to_le_bytes());
            }
        }
    }

    pub(crate) fn from_cranelift(kind: Reloc) -> Option<RelocKind> {
        match kind {
            Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => Some(RelocKind::X86PcRel4),
            Reloc::Abs8 => Some(RelocKind::Abs8),
            Reloc::Arm64Call => Some(RelocKind::Arm64Call),
            _ => None,
        }
    }
}

impl RoundingCall {
    pub const ALL: [RoundingCall; 8] = [
        RoundingCall::CeilF32,
        RoundingCall::CeilF64,
        RoundingCall::FloorF32,
        RoundingCall::FloorF64,
        RoundingCall::TruncF32,
        RoundingCall::TruncF64,
        RoundingCall::NearestF32,
        RoundingCall::NearestF64,
    ];

    pub(crate) fn from_cranelift(libcall: LibCall) -> Option<RoundingCall> {
        Some(match libcall {
            LibCall::CeilF32 => RoundingCall::CeilF32,
            LibCall::CeilF64 => RoundingCall::CeilF64,
            LibCall::FloorF32 => RoundingCall::FloorF32,
            LibCall::FloorF64 => RoundingCall::FloorF64,
            LibCall::TruncF32 => RoundingCall::TruncF32,
            LibCall::TruncF64 => RoundingCall::TruncF64,
            LibCall::NearestF32 => RoundingCall::NearestF32,
            LibCall::NearestF64 => RoundingCall::NearestF64,
            _ => return None,
        })
    }

    /// The helper's address in this process.
    fn address(self) -> usize {
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
        match self {
            RoundingCall::CeilF32 => ceil_f32 as *const () as usize,
            RoundingCall::CeilF64 => ceil_f64 as *const () as usize,
            RoundingCall::FloorF32 => floor_f32 as *const () as usize,
            RoundingCall::FloorF64 => floor_f64 as *const () as usize,
            RoundingCall::TruncF32 => trunc_f32 as *const () as usize,
            RoundingCall::TruncF64 => trunc_f64 as *const () as usize,
            RoundingCall::NearestF32 => nearest_f32 as *const () as usize,
            RoundingCall::NearestF64 => nearest_f64 as *const () as usize,
        }
    }
}

/// Checks that every relocation lies within `code_len` bytes and refers to
/// something that exists: `functions` defined functions, `types` types.
/// What linking relies on, for code read back from bytes.
pub fn check_relocations(relocs: &[Relocation], code_len: usize, functions: usize, types: usize) -> Result<(), String> {
    for (i, reloc) in relocs.iter().enumerate() {
        let end = (reloc.at as usize).checked_add(reloc.kind.width());
        if end.is_none_or(|end| end > code_len) {
            return Err(format!("relocation {i} at {} lies outside the code ({code_len} bytes)", reloc.at));
        }
        let fine = match reloc.target {
            RelocTarget::Function(f) => (f as usize) < functions,
            RelocTarget::Code(offset) => (offset as usize) < code_len,
            RelocTarget::TypeId(t) => (t as usize) < types,
            RelocTarget::LibCall(_) => true,
            RelocTarget::StubFunction | RelocTarget::StubTable => false,
        };
        if !fine {
            return Err(format!("relocation {i} refers to {:?}, which does not exist", reloc.target));
        }
    }
    Ok(())
}

/// Copies `code` into executable memory and applies the relocations
/// (checked with [`check_relocations`] for code from outside).
/// `offsets[i]` is where defined function `i` starts (calls to imports go
/// through the vmctx, so they are never relocation targets); `type_ids[t]`
/// the engine-wide id of type `t`.
pub(crate) fn link(
    code: &[u8],
    relocs: &[Relocation],
    offsets: &[usize],
    type_ids: &[u32],
) -> Result<CodeMemory, CompileError> {
    let mut error = None;
    let memory = CodeMemory::new(code, |bytes, base| {
        let resolve = |target: RelocTarget| match target {
            RelocTarget::Function(defined) => match offsets.get(defined as usize) {
                Some(offset) => Ok(base + offset),
                None => Err(format!("call to unknown function {defined}")),
            },
            other => resolve_common(other, base, type_ids),
        };
        error = apply(bytes, base, relocs, resolve).err();
    })?;
    match error {
        Some(message) => Err(CompileError::Internal { func_index: None, message }),
        None => Ok(memory),
    }
}

/// The value of the targets that do not depend on where functions are, for
/// code placed at `base`.
pub(crate) fn resolve_common(target: RelocTarget, base: usize, type_ids: &[u32]) -> Result<usize, String> {
    match target {
        RelocTarget::Code(offset) => Ok(base + offset as usize),
        RelocTarget::TypeId(t) => type_ids.get(t as usize).map(|id| *id as usize).ok_or(format!("unknown type {t}")),
        RelocTarget::LibCall(call) => Ok(call.address()),
        other => Err(format!("no value for relocation target {other:?} here")),
    }
}

/// Applies `relocs` to `bytes`, which will run at address `base`;
/// `resolve` gives each target's value.
pub(crate) fn apply(
    bytes: &mut [u8],
    base: usize,
    relocs: &[Relocation],
    resolve: impl Fn(RelocTarget) -> Result<usize, String>,
) -> Result<(), String> {
    for reloc in relocs {
        let at_offset = reloc.at as usize;
        let Some(field) = bytes.get_mut(at_offset..at_offset + reloc.kind.width()) else {
            return Err(format!("relocation at {at_offset} outside the code"));
        };
        let target = resolve(reloc.target)?;
        let at = base + at_offset;
        match reloc.kind {
            RelocKind::X86PcRel4 => {
                let delta = (target as i64).wrapping_add(reloc.addend).wrapping_sub(at as i64);
                let d = i32::try_from(delta).map_err(|_| "call displacement out of range".to_string())?;
                field.copy_from_slice(&d.to_le_bytes());
            }
            RelocKind::Abs8 => {
                let value = (target as i64).wrapping_add(reloc.addend);
                field.copy_from_slice(&value.to_le_bytes());
            }
            RelocKind::Arm64Call => {
                let delta = (target as i64).wrapping_add(reloc.addend).wrapping_sub(at as i64);
                if delta % 4 != 0 || !(-(1i64 << 27)..(1i64 << 27)).contains(&delta) {
                    return Err("call displacement out of range".into());
                }
                let insn = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
                let patched = (insn & !0x03ff_ffff) | (((delta >> 2) as u32) & 0x03ff_ffff);
                field.copy_from_slice(&patched.to_le_bytes());
            }
        }
    }
    Ok(())
}
