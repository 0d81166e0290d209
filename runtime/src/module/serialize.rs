//! [`Module::serialize`] and [`Module::deserialize`]: a compiled module as
//! bytes, to skip compiling it again (a cache, or code compiled ahead of
//! time with `wasmbeam compile -o`).
//!
//! # Format (version 2, little-endian)
//!
//! ```text
//! magic        8 bytes  "WBMODUL\0"
//! version      u32      2
//! codegen      str      the code generator's id (wasmbeam_jit::CODEGEN_ID)
//! settings     str      everything that changes the code (Compiler::settings_key)
//! features     str      CPU features the code may use, comma-separated
//! checksum     u64      Fnv64::of_words of the payload
//! length       u64      bytes of the payload
//! payload:
//!   wasm       u64 length, bytes   the module's WebAssembly
//!   reductions u8
//!   functions  u32 n, n x u32      where each defined function starts
//!   code       u64 length, bytes
//!   relocs     u32 n, n x (u32 at, u8 kind, u8 target kind, u32 target, i64 addend)
//!   points     per function: u32 n, n x (u8 kind, u32 slots, slots x u8 type,
//!              u32 callee type or 2^32 - 1, u32 words, words x u16 area word)
//! ```
//! (`str` is a u32 length and UTF-8 bytes.)
//!
//! # What is checked
//!
//! Loading refuses, each with its own message: bytes that are not a
//! serialized module; another format version; code from another build of
//! the code generator (its id hashes the compiler's sources and locked
//! dependencies); code compiled with other settings (target, optimization
//! level, reductions, Cranelift flags); code using a CPU feature this
//! machine lacks; a payload whose length or checksum does not match
//! (truncated or damaged bytes). Then the WebAssembly is validated again,
//! as by [`Module::new`], and the code's structure is checked against it:
//! one code offset and one resume point list per defined function, offsets
//! in order inside the code, every relocation inside the code and naming a
//! function or type that exists.
//!
//! What cannot be checked is the machine code itself: it runs as it is.
//! The checksum detects accidents, not tampering, so bytes from someone
//! who could write them are as trusted as a native library they could
//! hand you. That is why [`Module::deserialize`] is `unsafe`.

use super::Module;
use crate::engine::Engine;
use crate::error::Error;
use crate::fnv::Fnv64;
use crate::le_reader::LeReader;
use wasmbeam_jit::{
    CodeImage, RelocKind, RelocTarget, Relocation, ResumeKind, ResumePoint, RoundingCall, ValType, CODEGEN_ID,
};

const MAGIC: &[u8; 8] = b"WBMODUL\0";
const VERSION: u32 = 2;
const NONE: u32 = u32::MAX;

impl Module {
    /// The module, compiled, as bytes that [`Module::deserialize`] loads
    /// (for a lazily compiled module, this compiles all of it first)
    /// back into an engine with the same settings, in this or another
    /// process running the same build of wasmbeam (see the module docs of
    /// `serialize.rs` for the format and what loading checks).
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        let compiler = self.engine().compiler();
        let image = match self.compiled().image() {
            Some(image) => image,
            // Lazily compiled: what is saved is the whole module, compiled.
            None => {
                let whole = compiler.compile_module(self.info(), self.wasm(), self.type_ids())?;
                whole.image().ok_or_else(|| Error::internal("a module compiled whole has no image"))?
            }
        };
        let mut payload = Writer::default();
        payload.bytes(self.wasm())?;
        payload.u8(u8::from(image.reductions));
        payload.count(image.offsets.len())?;
        for offset in &image.offsets {
            payload.u32(*offset);
        }
        payload.bytes(&image.code)?;
        payload.count(image.relocs.len())?;
        for reloc in &image.relocs {
            payload.reloc(reloc);
        }
        for points in &image.resume_points {
            payload.count(points.len())?;
            for point in points {
                payload.point(point)?;
            }
        }
        let payload = payload.0;
        let mut out = Writer::default();
        out.0.extend_from_slice(MAGIC);
        out.u32(VERSION);
        out.str(CODEGEN_ID)?;
        out.str(&compiler.settings_key())?;
        out.str(&compiler.cpu_features().join(","))?;
        out.u64(Fnv64::of_words(&payload));
        out.u64(payload.len() as u64);
        out.0.extend_from_slice(&payload);
        Ok(out.0)
    }

    /// Whether `bytes` start like a serialized module (as opposed to
    /// WebAssembly): what tools that accept both look at.
    pub fn is_serialized(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// Loads a module serialized by [`Module::serialize`] into `engine`,
    /// without compiling it. Refused with [`Error::BadArgument`] ("cannot
    /// load the serialized module: ...") unless it was compiled by this
    /// build of wasmbeam with `engine`'s settings for a CPU like this one,
    /// and is intact; see `serialize.rs` for everything checked.
    ///
    /// # Safety
    ///
    /// The machine code in `bytes` is run as it is: only the structure
    /// around it is checked, and the checksum detects damage, not
    /// tampering. `bytes` must come from [`Module::serialize`] (this
    /// process, a cache it wrote, or a build step you trust), never from
    /// someone who must not run native code in this process.
    pub unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let compiler = engine.compiler();
        let mut r = Reader(LeReader::new(bytes, || refused("truncated")));
        if r.take(MAGIC.len()).ok() != Some(MAGIC.as_slice()) {
            return Err(refused("not a serialized wasmbeam module"));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(refused(format!("format version {version}, this build reads version {VERSION}")));
        }
        if r.str()? != CODEGEN_ID {
            return Err(refused("compiled by another build of wasmbeam"));
        }
        let settings = r.str()?;
        let ours = compiler.settings_key();
        if settings != ours {
            return Err(refused(format!("compiled with other settings ({settings}; this engine: {ours})")));
        }
        let available = compiler.cpu_features();
        for feature in r.str()?.split(',').filter(|f| !f.is_empty()) {
            if !available.contains(&feature) {
                return Err(refused(format!("the code uses the CPU feature {feature}, which this machine lacks")));
            }
        }
        let checksum = r.u64()?;
        let length = r.u64()?;
        if length != r.bytes.len() as u64 {
            return Err(refused(format!("the payload should be {length} bytes, it is {}", r.bytes.len())));
        }
        if Fnv64::of_words(r.bytes) != checksum {
            return Err(refused("damaged (checksum mismatch)"));
        }
        let wasm = r.bytes()?;
        let reductions = match r.u8()? {
            0 => false,
            1 => true,
            other => return Err(refused(format!("bad reductions flag {other}"))),
        };
        let functions = r.count(4)?;
        let offsets = (0..functions).map(|_| r.u32()).collect::<Result<Vec<u32>, Error>>()?;
        let code = r.bytes()?.to_vec();
        let relocs = (0..r.count(18)?).map(|_| r.reloc()).collect::<Result<Vec<_>, Error>>()?;
        let mut resume_points = Vec::with_capacity(functions);
        for _ in 0..functions {
            let points = (0..r.count(9)?).map(|_| r.point()).collect::<Result<Vec<_>, Error>>()?;
            resume_points.push(points);
        }
        if !r.bytes.is_empty() {
            return Err(refused(format!("{} bytes after the end", r.bytes.len())));
        }
        let image = CodeImage { code, offsets, relocs, resume_points, reductions };
        Module::from_image(engine, wasm, image)
    }
}

fn refused(message: impl std::fmt::Display) -> Error {
    Error::BadArgument(format!("cannot load the serialized module: {message}"))
}

/// Appends little-endian fields.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn count(&mut self, n: usize) -> Result<(), Error> {
        let n = u32::try_from(n).map_err(|_| Error::Limit(format!("{n} items: the module format holds 2^32 - 1")))?;
        self.u32(n);
        Ok(())
    }
    fn bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.u64(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
        Ok(())
    }
    fn str(&mut self, s: &str) -> Result<(), Error> {
        self.count(s.len())?;
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
    fn reloc(&mut self, reloc: &Relocation) {
        self.u32(reloc.at);
        self.u8(match reloc.kind {
            RelocKind::X86PcRel4 => 0,
            RelocKind::Abs8 => 1,
            RelocKind::Arm64Call => 2,
        });
        let (tag, value) = match reloc.target {
            RelocTarget::Function(f) => (0, f),
            RelocTarget::Code(offset) => (1, offset),
            RelocTarget::TypeId(t) => (2, t),
            // `ALL` lists every helper: `position` always finds it.
            RelocTarget::LibCall(call) => (3, RoundingCall::ALL.iter().position(|c| *c == call).unwrap_or(0) as u32),
            // Only in lazy stubs, which are never serialized (a reader
            // refuses the tag).
            RelocTarget::StubFunction | RelocTarget::StubTable => (u8::MAX, 0),
        };
        self.u8(tag);
        self.u32(value);
        self.u64(reloc.addend as u64);
    }
    fn point(&mut self, point: &ResumePoint) -> Result<(), Error> {
        self.u8(match point.kind {
            ResumeKind::FunctionEntry => 0,
            ResumeKind::LoopHeader => 1,
            ResumeKind::Call => 2,
            ResumeKind::Uncompiled => 3,
        });
        self.count(point.slots.len())?;
        for slot in point.slots.iter() {
            self.u8(type_code(*slot));
        }
        self.u32(point.callee_type.unwrap_or(NONE));
        self.count(point.area.len())?;
        for word in point.area.iter() {
            self.0.extend_from_slice(&word.to_le_bytes());
        }
        Ok(())
    }
}

/// The module format's fields, over the shared little-endian reader.
struct Reader<'a>(LeReader<'a>);

impl<'a> std::ops::Deref for Reader<'a> {
    type Target = LeReader<'a>;
    fn deref(&self) -> &LeReader<'a> {
        &self.0
    }
}

impl<'a> std::ops::DerefMut for Reader<'a> {
    fn deref_mut(&mut self) -> &mut LeReader<'a> {
        &mut self.0
    }
}

impl<'a> Reader<'a> {
    fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = usize::try_from(self.u64()?).map_err(|_| refused("truncated"))?;
        self.take(n)
    }
    fn str(&mut self) -> Result<&'a str, Error> {
        let n = self.count(1)?;
        std::str::from_utf8(self.take(n)?).map_err(|_| refused("a header string is not UTF-8"))
    }
    fn reloc(&mut self) -> Result<Relocation, Error> {
        let at = self.u32()?;
        let kind = match self.u8()? {
            0 => RelocKind::X86PcRel4,
            1 => RelocKind::Abs8,
            2 => RelocKind::Arm64Call,
            other => return Err(refused(format!("unknown relocation kind {other}"))),
        };
        let (tag, value) = (self.u8()?, self.u32()?);
        let target = match tag {
            0 => RelocTarget::Function(value),
            1 => RelocTarget::Code(value),
            2 => RelocTarget::TypeId(value),
            3 => match RoundingCall::ALL.get(value as usize) {
                Some(call) => RelocTarget::LibCall(*call),
                None => return Err(refused(format!("unknown helper {value}"))),
            },
            other => return Err(refused(format!("unknown relocation target kind {other}"))),
        };
        let addend = self.u64()? as i64;
        Ok(Relocation { at, kind, target, addend })
    }
    fn point(&mut self) -> Result<ResumePoint, Error> {
        let kind = match self.u8()? {
            0 => ResumeKind::FunctionEntry,
            1 => ResumeKind::LoopHeader,
            2 => ResumeKind::Call,
            3 => ResumeKind::Uncompiled,
            other => return Err(refused(format!("unknown resume point kind {other}"))),
        };
        let slots = (0..self.count(1)?)
            .map(|_| {
                let code = self.u8()?;
                type_of(code).ok_or_else(|| refused(format!("unknown value type {code}")))
            })
            .collect::<Result<Vec<ValType>, Error>>()?;
        let callee_type = match self.u32()? {
            NONE => None,
            t => Some(t),
        };
        let area = (0..self.count(2)?)
            .map(|_| Ok(u16::from_le_bytes([self.u8()?, self.u8()?])))
            .collect::<Result<Vec<u16>, Error>>()?;
        Ok(ResumePoint { kind, slots: slots.into(), callee_type, area: area.into() })
    }
}

/// The slot types of records, by code: every representation
/// ([`ValType::repr`]), which is what compiled code's records hold.
const TYPES: [ValType; 8] = [
    ValType::I32,
    ValType::I64,
    ValType::F32,
    ValType::F64,
    ValType::FuncRef,
    ValType::ExternRef,
    ValType::ExnRef,
    ValType::V128,
];

fn type_code(ty: ValType) -> u8 {
    // `TYPES` lists every representation: `position` always finds it.
    TYPES.iter().position(|t| *t == ty.repr()).unwrap_or(0) as u8
}

fn type_of(code: u8) -> Option<ValType> {
    TYPES.get(code as usize).copied()
}
