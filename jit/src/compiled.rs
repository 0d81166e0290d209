//! A compiled module's code, linked into executable memory, and the same
//! code as plain data ([`CodeImage`]): what a serialized module stores.

use crate::code_memory::CodeMemory;
use crate::error::CompileError;
use crate::lazy::LazyCode;
use crate::link::{check_relocations, link, Relocation};
use crate::module_info::ModuleInfo;
use crate::resume::{ResumePoint, RECORD_HEADER_SIZE};
use std::sync::Arc;

/// A module's code as plain data: the bytes of every function laid out in
/// one block, where each starts, what to patch when linking, and the
/// resume points. Nothing in it depends on the process or the engine that
/// compiled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeImage {
    /// The code block. Relocated fields may hold anything: linking
    /// overwrites them.
    pub code: Vec<u8>,
    /// Where each defined function starts, in index order.
    pub offsets: Vec<u32>,
    pub relocs: Vec<Relocation>,
    /// Each defined function's resume points (empty without reductions).
    pub resume_points: Vec<Vec<ResumePoint>>,
    /// Whether the code counts reductions and can suspend.
    pub reductions: bool,
}

impl CodeImage {
    /// Checks what linking and running rely on, for an image read back
    /// from bytes: offsets ascending within the code, one resume point
    /// list per function, records within the size limit and naming types
    /// that exist (`types` of them), relocations within the code and
    /// referring to functions and types that exist.
    pub fn check(&self, types: usize) -> Result<(), String> {
        let len = self.code.len();
        if self.resume_points.len() != self.offsets.len() {
            return Err(format!("{} functions but resume points for {}", self.offsets.len(), self.resume_points.len()));
        }
        if !self.reductions && self.resume_points.iter().any(|p| !p.is_empty()) {
            return Err("resume points in code without reductions".into());
        }
        for (f, points) in self.resume_points.iter().enumerate() {
            for point in points {
                if point.words() > crate::limits::MAX_RECORD_SLOTS {
                    return Err(format!("function {f} saves {} words at a resume point", point.words()));
                }
                if point.area.len() != point.slots.len() || point.area_words() > crate::limits::MAX_AREA_SLOTS {
                    return Err(format!("function {f} has a resume point whose record area does not match it"));
                }
                if point.callee_type.is_some_and(|t| t as usize >= types) {
                    return Err(format!("function {f} has a resume point naming a type that does not exist"));
                }
            }
        }
        let mut previous = None;
        for (i, offset) in self.offsets.iter().enumerate() {
            if *offset as usize >= len || previous.is_some_and(|p| p >= *offset) {
                return Err(format!("function {i} starts at {offset}, out of order or outside the code"));
            }
            previous = Some(*offset);
        }
        check_relocations(&self.relocs, len, self.offsets.len(), types)
    }
}

/// A compiled module's machine code.
pub struct CompiledModule {
    code: Code,
    offsets: Vec<u32>,
    relocs: Vec<Relocation>,
    resume_points: Vec<Vec<ResumePoint>>,
    reductions: bool,
    /// See [`CompiledModule::max_record_size`]: counted once, not at every
    /// instantiation (a large module has hundreds of thousands of points).
    max_record_size: usize,
}

/// Linked into executable memory, or kept as bytes (code for another
/// machine), or compiled function by function (see `lazy.rs`).
enum Code {
    Linked(Arc<CodeMemory>),
    Bytes(Vec<u8>),
    Lazy(Box<LazyCode>),
}

impl CompiledModule {
    /// Links `image` for this machine if `executable` (with `type_ids[t]`
    /// the engine-wide id of the module's type `t`), or keeps its bytes.
    /// The image must have passed [`CodeImage::check`] if it was read from
    /// outside.
    pub(crate) fn link(image: CodeImage, type_ids: &[u32], executable: bool) -> Result<CompiledModule, CompileError> {
        let CodeImage { code, offsets, relocs, resume_points, reductions } = image;
        let code = if executable {
            let starts: Vec<usize> = offsets.iter().map(|o| *o as usize).collect();
            Code::Linked(Arc::new(link(&code, &relocs, &starts, type_ids)?))
        } else {
            Code::Bytes(code)
        };
        let max_record_size = resume_points.iter().flatten().map(ResumePoint::record_size).max().unwrap_or(0);
        Ok(CompiledModule { code, offsets, relocs, resume_points, reductions, max_record_size })
    }

    /// A module whose functions compile when first called (see
    /// [`crate::Compiler::compile_lazy`]).
    pub fn lazy(code: LazyCode, reductions: bool) -> CompiledModule {
        CompiledModule {
            code: Code::Lazy(Box::new(code)),
            offsets: Vec::new(),
            relocs: Vec::new(),
            resume_points: Vec::new(),
            reductions,
            // Not read: a lazy module's functions may save up to the limit.
            max_record_size: 0,
        }
    }

    /// The lazily compiled code, for a module compiled lazily.
    pub fn lazy_code(&self) -> Option<&LazyCode> {
        match &self.code {
            Code::Lazy(lazy) => Some(lazy),
            _ => None,
        }
    }

    /// The code as plain data (see [`CodeImage`]), or `None` for a lazily
    /// compiled module: a copy, with every
    /// relocated field cleared, so that it depends only on the module and
    /// the compiler's settings (not on the engine or the address).
    pub fn image(&self) -> Option<CodeImage> {
        let mut code = match &self.code {
            // SAFETY: the mapping is readable and at least `code_size()`
            // bytes long (whole pages), and never written after linking.
            Code::Linked(memory) => unsafe { std::slice::from_raw_parts(memory.as_ptr(), memory.code_len()) }.to_vec(),
            Code::Bytes(bytes) => bytes.clone(),
            Code::Lazy(_) => return None,
        };
        for reloc in &self.relocs {
            let at = reloc.at as usize;
            // Every relocation lies within the code (checked when linked).
            if let Some(field) = code.get_mut(at..at + reloc.kind.width()) {
                reloc.kind.clear(field);
            }
        }
        Some(CodeImage {
            code,
            offsets: self.offsets.clone(),
            relocs: self.relocs.clone(),
            resume_points: self.resume_points.clone(),
            reductions: self.reductions,
        })
    }

    /// Whether the code counts reductions and can suspend.
    pub fn has_reductions(&self) -> bool {
        self.reductions
    }

    /// Bytes of the largest continuation record any function of this module
    /// writes (0 without reductions): while its code runs, the runtime keeps
    /// at least this much free in the continuation buffer.
    pub fn max_record_size(&self) -> usize {
        match &self.code {
            // Functions compiled later may save up to the limit.
            Code::Lazy(_) if self.reductions => crate::limits::MAX_RECORD_SLOTS * 8 + RECORD_HEADER_SIZE,
            _ => self.max_record_size,
        }
    }

    /// The resume points of defined function `defined_index` (imports not
    /// counted), indexed as in continuation record headers.
    pub fn resume_points(&self, defined_index: u32) -> &[ResumePoint] {
        match &self.code {
            Code::Lazy(lazy) => lazy.resume_points(defined_index),
            _ => self.resume_points.get(defined_index as usize).map_or(&[], |p| p.as_slice()),
        }
    }

    /// Bytes of machine code (functions and their padding).
    pub fn code_size(&self) -> usize {
        match &self.code {
            Code::Linked(memory) => memory.code_len(),
            Code::Bytes(bytes) => bytes.len(),
            Code::Lazy(lazy) => lazy.code_size(),
        }
    }

    /// The code block, if it was compiled for this machine. Holders of
    /// function pointers keep it alive through this `Arc`.
    pub fn code_memory(&self) -> Option<&Arc<CodeMemory>> {
        match &self.code {
            Code::Linked(memory) => Some(memory),
            Code::Bytes(_) | Code::Lazy(_) => None,
        }
    }

    /// Names this module's compiled functions in the perf map, if one is
    /// being written (see [`crate::perf_map`]). A lazily compiled module
    /// names each function when it is compiled instead.
    pub fn record_in_perf_map(&self, info: &ModuleInfo, wasm: &[u8]) {
        let Some(memory) = self.code_memory().filter(|_| crate::perf_map::enabled()) else { return };
        let ends = self.offsets.iter().skip(1).map(|o| *o as usize).chain([memory.code_len()]);
        let functions = self.offsets.iter().zip(ends).enumerate().map(|(defined, (start, end))| {
            let start = *start as usize;
            crate::perf_map::Placed {
                defined: defined as u32,
                address: memory.as_ptr() as usize + start,
                len: end - start,
            }
        });
        crate::perf_map::record(info, wasm, functions);
    }

    /// The native entry point of defined function `defined_index` (not
    /// counting imports), or `None` if the code is not executable here.
    pub fn function_ptr(&self, defined_index: u32) -> Option<*const u8> {
        if let Code::Lazy(lazy) = &self.code {
            return lazy.function_ptr(defined_index);
        }
        let memory = self.code_memory()?;
        let offset = *self.offsets.get(defined_index as usize)?;
        // SAFETY: every recorded offset lies within the code block (checked
        // by `CodeImage::check` for code from outside).
        Some(unsafe { memory.as_ptr().add(offset as usize) })
    }
}
