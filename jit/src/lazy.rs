//! Lazy compilation: a module whose functions are compiled when first
//! called.
//!
//! Creating the module compiles no function. Each defined function gets a
//! *stub* (see [`crate::abi::lazy_stub`]), and a slot in the module's
//! *table*, which holds the address of its code once it is compiled (0
//! before). Every call of a function not compiled yet, direct or through
//! a `VMFuncRef`, reaches its stub, which asks the runtime to compile it
//! (the runtime suspends the call and has the embedder compile it, or
//! compiles it at once) and then tail-calls the code.
//!
//! A function is compiled together with the *bounded* functions it calls
//! that are not compiled yet (see `translate/call_graph.rs`): calls to them
//! are no resume points, so their callee must exist before the caller
//! runs. Code compiled later calls the code of functions compiled before
//! it directly; only calls to functions not compiled when the caller was
//! go through the stub (a table load and a tail call).
//!
//! All code lives in one [`CodeArena`], so direct calls reach. Compiling
//! is serialized per module by the arena's lock, and each function is
//! compiled once: its resume points are published before its table slot,
//! with release ordering, so whoever finds the code also finds them.

use crate::abi;
use crate::code_memory::CodeArena;
use crate::compile::{Compiler, Job, Worker, STUB_FUNC_INDEX};
use crate::error::CompileError;
use crate::link::{apply, resolve_common, RelocTarget, Relocation};
use crate::module_info::ModuleInfo;
use crate::resume::ResumePoint;
use crate::translate::CallGraph;
use cranelift_codegen::Context;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Address space reserved for one module's code, at most: what direct
/// calls reach on aarch64 (`bl`, ±128 MiB) and well within x86_64's
/// ±2 GiB.
const MAX_ARENA_BYTES: usize = 128 << 20;

/// Address space reserved per byte of function bodies: eager compiles of
/// real modules give about 8 to 10 bytes of code per byte of Wasm.
const ARENA_BYTES_PER_WASM_BYTE: usize = 24;

/// The code of a lazily compiled module: what is compiled so far.
pub struct LazyCode {
    /// By defined index: the address of the function's code, 0 until it is
    /// compiled. The stubs read it (compiled code holds its address).
    table: Box<[AtomicUsize]>,
    /// By defined index: the address of the function's stub.
    stubs: Box<[usize]>,
    /// By defined index: set once, before the table slot.
    resume_points: Box<[OnceLock<Vec<ResumePoint>>]>,
    calls: Option<CallGraph>,
    type_ids: Box<[u32]>,
    /// Held while compiling: one compile at a time per module.
    arena: Mutex<CodeArena>,
    /// Bytes of machine code placed so far (stubs included).
    code_bytes: AtomicUsize,
    /// Functions compiled so far.
    compiled: AtomicUsize,
}

impl LazyCode {
    /// The address to call defined function `defined` at: its code if it
    /// is compiled, else its stub.
    pub fn function_ptr(&self, defined: u32) -> Option<*const u8> {
        let code = self.table.get(defined as usize)?.load(Ordering::Acquire);
        let address = if code != 0 { code } else { *self.stubs.get(defined as usize)? };
        Some(address as *const u8)
    }

    /// The address of defined function `defined`'s stub, compiled or not.
    pub fn stub_ptr(&self, defined: u32) -> Option<*const u8> {
        Some(*self.stubs.get(defined as usize)? as *const u8)
    }

    /// The resume points of defined function `defined` (none before it is
    /// compiled).
    pub fn resume_points(&self, defined: u32) -> &[ResumePoint] {
        self.resume_points.get(defined as usize).and_then(OnceLock::get).map_or(&[], Vec::as_slice)
    }

    pub fn is_compiled(&self, defined: u32) -> bool {
        self.table.get(defined as usize).is_some_and(|slot| slot.load(Ordering::Acquire) != 0)
    }

    /// Bytes of machine code so far, stubs included.
    pub fn code_size(&self) -> usize {
        self.code_bytes.load(Ordering::Relaxed)
    }

    /// Functions compiled so far.
    pub fn functions_compiled(&self) -> usize {
        self.compiled.load(Ordering::Relaxed)
    }
}

impl Compiler {
    /// Prepares a module for lazy compilation: its stubs and its table; no
    /// function is compiled. `type_ids` as for
    /// [`Compiler::compile_module`]. Only for an executable compiler.
    pub fn compile_lazy(&self, info: &ModuleInfo, wasm: &[u8], type_ids: &[u32]) -> Result<LazyCode, CompileError> {
        if !self.is_executable() {
            return Err(CompileError::Target("lazy compilation needs code for this machine".into()));
        }
        let calls = if self.has_reductions() { Some(CallGraph::scan(info, wasm)?) } else { None };
        let count = info.num_defined_functions() as usize;
        let table: Box<[AtomicUsize]> = (0..count).map(|_| AtomicUsize::new(0)).collect();

        // One stub per function, copied from a template per type.
        let mut templates: HashMap<u32, (Vec<u8>, Vec<Relocation>)> = HashMap::new();
        let mut code = Vec::new();
        let mut starts = Vec::with_capacity(count);
        let mut ctx = Context::new();
        for defined in 0..count {
            let type_index = info.functions[info.num_imported_functions as usize + defined];
            let (bytes, _) = match templates.entry(type_index) {
                Entry::Occupied(template) => template.into_mut(),
                Entry::Vacant(slot) => {
                    ctx.clear();
                    ctx.func = abi::lazy_stub(self.stub_isa(), &info.types[type_index as usize]);
                    let (mut bytes, mut relocs) = (Vec::new(), Vec::new());
                    self.emit(&mut ctx, STUB_FUNC_INDEX, 0, &mut bytes, &mut relocs)?;
                    slot.insert((bytes, relocs))
                }
            };
            let start = code.len().div_ceil(16) * 16;
            code.resize(start, 0);
            code.extend_from_slice(bytes);
            starts.push((start, type_index));
        }
        let body_bytes: usize = info.bodies.iter().map(|b| b.len()).sum();
        let page = 64 * 1024;
        let size = (code.len() + count * page + body_bytes * ARENA_BYTES_PER_WASM_BYTE).min(MAX_ARENA_BYTES);
        let mut arena = CodeArena::reserve(size)?;
        let table_address = table.as_ptr() as usize;
        let stubs_len = code.len();
        let base = arena.place(&code, |bytes, base| {
            for (defined, (start, type_index)) in starts.iter().enumerate() {
                let (template, relocs) = &templates[type_index];
                let piece = &mut bytes[*start..*start + template.len()];
                apply(piece, base + start, relocs, |target| match target {
                    RelocTarget::StubFunction => Ok(defined),
                    RelocTarget::StubTable => Ok(table_address),
                    other => resolve_common(other, base + start, type_ids),
                })?;
            }
            Ok(())
        })?;
        let stubs = starts.iter().map(|(start, _)| base + start).collect();
        Ok(LazyCode {
            table,
            stubs,
            resume_points: (0..count).map(|_| OnceLock::new()).collect(),
            calls,
            type_ids: type_ids.into(),
            arena: Mutex::new(arena),
            code_bytes: AtomicUsize::new(stubs_len),
            compiled: AtomicUsize::new(0),
        })
    }

    /// Compiles defined function `defined` of a lazily compiled module
    /// (and the bounded functions it calls), unless it is compiled already.
    /// Safe to call from any number of threads at once: each function is
    /// compiled once, and a caller returns once it is.
    pub fn compile_lazily(
        &self,
        lazy: &LazyCode,
        info: &ModuleInfo,
        wasm: &[u8],
        defined: u32,
    ) -> Result<(), CompileError> {
        if (defined as usize) >= lazy.table.len() {
            return Err(CompileError::Internal { func_index: None, message: format!("no function {defined}") });
        }
        if lazy.is_compiled(defined) {
            return Ok(());
        }
        // The arena is only changed by `place`, which leaves it consistent
        // if it fails: a poisoned lock is fine to use.
        let mut arena = lazy.arena.lock().unwrap_or_else(PoisonError::into_inner);
        if lazy.is_compiled(defined) {
            return Ok(());
        }
        let imported = info.num_imported_functions;
        let mut batch = vec![defined];
        let mut seen = HashSet::from([defined]);
        let mut next = 0;
        while let Some(&f) = batch.get(next) {
            next += 1;
            let callees = lazy.calls.as_ref().map_or(&[][..], |c| c.bounded_callees(f));
            for callee in callees {
                let callee = callee - imported;
                if !lazy.is_compiled(callee) && seen.insert(callee) {
                    batch.push(callee);
                }
            }
        }
        let job = Job { compiler: self, info, wasm, calls: lazy.calls.as_ref() };
        let mut worker = Worker::default();
        let mut code = Vec::new();
        let mut pieces = Vec::with_capacity(batch.len());
        for &f in &batch {
            let function = job.compile(&mut worker, f)?;
            let start = code.len().div_ceil(16) * 16;
            code.resize(start, 0);
            code.extend_from_slice(&function.code);
            pieces.push((start, function.relocs, function.resume_points));
        }
        let starts: HashMap<u32, usize> = batch.iter().zip(&pieces).map(|(f, p)| (*f, p.0)).collect();
        let base = arena.place(&code, |bytes, base| {
            for (start, relocs, _) in &pieces {
                let end = bytes.len();
                apply(&mut bytes[*start..end], base + start, relocs, |target| match target {
                    RelocTarget::Function(f) => match starts.get(&f) {
                        Some(s) => Ok(base + s),
                        None => lazy.function_ptr(f).map(|p| p as usize).ok_or(format!("call to unknown function {f}")),
                    },
                    other => resolve_common(other, base + start, &lazy.type_ids),
                })?;
            }
            Ok(())
        })?;
        let placed = batch.iter().zip(&pieces).enumerate().map(|(i, (f, (start, _, _)))| {
            let end = pieces.get(i + 1).map_or(code.len(), |next| next.0);
            crate::perf_map::Placed { defined: *f, address: base + start, len: end - start }
        });
        crate::perf_map::record(info, wasm, placed);
        lazy.code_bytes.fetch_add(code.len(), Ordering::Relaxed);
        lazy.compiled.fetch_add(batch.len(), Ordering::Relaxed);
        for (f, (start, _, points)) in batch.iter().zip(pieces) {
            // Set once: `f` was not compiled, and we hold the lock.
            let _ = lazy.resume_points[*f as usize].set(points);
            lazy.table[*f as usize].store(base + start, Ordering::Release);
        }
        Ok(())
    }
}
