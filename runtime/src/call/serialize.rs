//! [`Call::to_bytes`] and [`Call::from_bytes`]: a suspended call as plain,
//! versioned data.
//!
//! # Format, version 4
//!
//! All integers little-endian; `u32`s unless noted.
//!
//! | field | content |
//! |---|---|
//! | magic | the 8 bytes `WBMCONT\0` |
//! | version | `4` (older versions are refused: version 1's records did not name their instance; version 2 had a byte-wise checksum and saved the high half of 32-bit slots as found; version 3 had no `v128`) |
//! | instances, funcs | how many of the store's instances and functions the fingerprint covers (all of them when saved) |
//! | fingerprint (`u64`) | FNV-1a 64 of the runtime's version, the engine's `reductions` setting, and the store's layout: each covered instance's module fingerprint (FNV-1a 64 of its bytes), then each covered function's kind, origin and type (see [`store_fingerprint`]) |
//! | entry | the called function (store function index) |
//! | fuel consumed (`u64`) | |
//! | fuel limit | one byte `0`, or `1` then the limit (`u64`) |
//! | stop | one byte: `0` yielded, `1` in a host call |
//! | host call (stop `1` only) | the host function (store function index); one byte `1` if it is the called function itself (no frames), else `0`; the arguments (count, values); the answer: one byte `0` none yet, `1` results (count, values), `2` a trap (code, message length, UTF-8 message), `3` run it again (a function that may suspend) |
//! | records | count, then each record, innermost first: its instance (store instance index), function index (in the instance's module), resume point index, word count, words (`u64` each; a `v128` slot takes two, low half first) |
//! | checksum (`u64`) | of every byte before it: FNV-1a 64's step applied per 8-byte little-endian word (the last one zero-padded), then to the byte length, then a final mix (`Fnv64::of_words` in `fnv.rs`; eight times faster than byte-wise FNV-1a on large continuations) |
//!
//! A value is a type byte (`0` i32, `1` i64, `2` f32, `3` f64, `4`
//! funcref, `5` externref, `6` exnref (null only), `7` v128) and 8 bytes
//! (16 for a v128, low half first): the raw slot bits (externref: its raw
//! form, payload + 1, 0 for null), or for a funcref a function id. Slots
//! of records are raw bits too (an `i32` or `f32` slot in its low 32 bits,
//! the high ones zero), except funcref slots, which hold function ids. A
//! function id is two `u32`s: the store function index, and the instance
//! that imported the function (`u32::MAX`: the function's own
//! reference; host functions imported by an instance have a reference per
//! importer, which tells the host function its calling instance). Null is
//! `u32::MAX, u32::MAX`.
//!
//! # Limits
//! - The bytes hold no pointers, but name functions and instances by their
//!   index in the store: they can only be read into a store whose first
//!   instances and functions were made the same way (same modules, same
//!   host function types, same order), such as the same store, or one
//!   rebuilt identically in another process. The fingerprint checks that.
//!   Memories, tables and globals are not part of a continuation: the
//!   embedder saves and restores them.
//! - Every record names its instance, so reading is exact (see
//!   `records.rs`), and saving cannot fail on a suspended call but for the
//!   format's own bounds: at most 2^32 - 1 instances, functions, records,
//!   slots in a record, values and message bytes, each far beyond what a
//!   store or the continuation limit allows.
//! - Architectures: the format is the same on x86_64 and aarch64, and so
//!   are the frames: the translator alone decides every resume point and
//!   its slots, and fuel is charged per WebAssembly instruction. So a call
//!   saved on one resumes on the other, and both save the same bytes for
//!   the same call (the runtime's `continuations_move_between_architectures`
//!   test holds fixtures saved on each).
//! - The frames are only meaningful to code compiled by the same build of
//!   wasmbeam: the fingerprint
//!   covers the crate's version and the `reductions` setting, not
//!   unreleased changes between builds of one version. Frames that
//!   disagree with the code are refused when read (an instance, function
//!   or resume point that does not exist, a wrong size, a callee of the
//!   wrong type), or, if their chain of calls is not the code's, stop the
//!   call with [`Error::BadArgument`] ("the continuation does not match the
//!   code") when resumed: each frame checks that the record it pops is of
//!   its own function and instance. Reading validates every funcref, so
//!   damaged bytes cannot make compiled code use a pointer that is not a
//!   function of the store, nor call one of another type.

use super::records::{self, header_word, instances_by_vmctx, StoppedAt};
use super::{Answer, Call, PendingHostCall, Phase};
use crate::call::continuation::ContBuffer;
use crate::error::{Error, Trap};
use crate::fnv::Fnv64;
use crate::func::{Func, FuncData};
use crate::host::HostImport;
use crate::le_reader::LeReader;
use crate::store::{Store, Stored};
use crate::values::{ExternRef, Val, V128};
use std::collections::HashMap;
use wasmbeam_jit::vm::TrapCode;
use wasmbeam_jit::ValType;

const MAGIC: &[u8; 8] = b"WBMCONT\0";
const VERSION: u32 = 4;
const NONE: u32 = u32::MAX;

fn bad(message: impl std::fmt::Display) -> Error {
    Error::BadArgument(format!("cannot read the continuation: {message}"))
}

fn type_code(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
        ValType::FuncRef => 4,
        ValType::ExternRef => 5,
        ValType::ExnRef => 6,
        ValType::V128 => 7,
        // Values and records hold representations only.
        ValType::Ref(_) => type_code(ty.repr()),
    }
}

/// FNV-1a 64 of the layout of the store's first `instances` instances and
/// `funcs` functions, and of what shapes the frames: this crate's version
/// and whether code counts reductions. Per instance its module's
/// fingerprint; per function
/// `0` and its type for a host function, `1`, its instance index, its
/// index in the module and its type for a WebAssembly function (a type is
/// its parameter count and type codes, then its result count and codes).
pub(crate) fn store_fingerprint(store: &Store, instances: usize, funcs: usize) -> u64 {
    let mut h = Fnv64::new();
    h.bytes(b"wasmbeam store layout").bytes(env!("CARGO_PKG_VERSION").as_bytes());
    h.bytes(&[store.engine().config().reductions.into()]);
    h.u64(instances as u64).u64(funcs as u64);
    for instance in store.instances.iter().take(instances) {
        h.u64(instance.module.fingerprint());
    }
    for func in store.funcs.iter().take(funcs) {
        match func.defined_in {
            None => h.bytes(&[0]),
            Some(d) => h.bytes(&[1]).u64(d.instance.0.index.into()).u64(d.index.into()),
        };
        h.u64(func.ty.params.len() as u64).bytes(&func.ty.params.iter().map(|t| type_code(*t)).collect::<Vec<_>>());
        h.u64(func.ty.results.len() as u64).bytes(&func.ty.results.iter().map(|t| type_code(*t)).collect::<Vec<_>>());
    }
    h.finish()
}

/// Every funcref value the store's compiled code can hold, by address:
/// each function's own `VMFuncRef` and each per-instance host import.
fn funcref_ids(store: &Store) -> HashMap<u64, (u32, u32)> {
    let mut ids = HashMap::new();
    for (index, func) in store.funcs.iter().enumerate() {
        ids.insert(FuncData::funcref_word(func), (index as u32, NONE));
    }
    for (i, instance) in store.instances.iter().enumerate() {
        for import in &instance.host_imports {
            ids.insert(HostImport::funcref_ptr(import) as usize as u64, (import.func().0.index, i as u32));
        }
    }
    ids
}

/// The raw funcref of function id `(func, importer)` in `store`.
fn funcref_of_id(store: &Store, funcs: usize, func: u32, importer: u32) -> Result<u64, Error> {
    if func == NONE && importer == NONE {
        return Ok(0);
    }
    if func as usize >= funcs {
        return Err(bad(format!("function {func} out of range")));
    }
    let handle = Func(Stored { store: store.id(), index: func });
    if importer == NONE {
        return store.funcref_raw(handle).map_err(bad);
    }
    let instance = store.instances.get(importer as usize).ok_or_else(|| bad("importing instance out of range"))?;
    let import = instance.host_imports.iter().find(|i| i.func() == handle);
    let import = import.ok_or_else(|| bad(format!("instance {importer} does not import function {func}")))?;
    Ok(HostImport::funcref_ptr(import) as usize as u64)
}

/// Appends little-endian fields; `store` is the id of the store whose
/// functions values may name.
struct Writer {
    bytes: Vec<u8>,
    store: u64,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// A count or length, refused past the format's `u32` bound.
    fn len(&mut self, n: usize) -> Result<(), Error> {
        let n = u32::try_from(n)
            .map_err(|_| Error::Limit(format!("the continuation has {n} of something, the format holds 2^32 - 1")))?;
        self.u32(n);
        Ok(())
    }
    fn func_id(&mut self, (func, importer): (u32, u32)) {
        self.u32(func);
        self.u32(importer);
    }
    fn values(&mut self, values: &[Val]) -> Result<(), Error> {
        self.len(values.len())?;
        for v in values {
            self.u8(type_code(v.ty()));
            match *v {
                Val::I32(x) => self.u64(x as u32 as u64),
                Val::I64(x) => self.u64(x as u64),
                Val::F32(bits) => self.u64(bits.into()),
                Val::F64(bits) => self.u64(bits),
                Val::V128(v) => {
                    self.u64(v.as_u128() as u64);
                    self.u64((v.as_u128() >> 64) as u64);
                }
                Val::FuncRef(None) => self.func_id((NONE, NONE)),
                Val::FuncRef(Some(f)) if f.0.store == self.store => self.func_id((f.0.index, NONE)),
                // `Call::resume_with` refuses those, and arguments come
                // from the store's own code.
                Val::FuncRef(Some(_)) => return Err(Error::internal("a function of another store among the values")),
                Val::ExternRef(r) => self.u64(ExternRef::to_raw(r)),
                Val::ExnRef(None) => self.u64(0),
                Val::ExnRef(Some(_)) => {
                    return Err(Error::BadArgument(
                        "a pending host call with a caught exception (a non-null exnref) cannot be saved".into(),
                    ))
                }
            }
        }
        Ok(())
    }
}

type Reader<'a> = LeReader<'a>;

fn truncated() -> Error {
    bad("truncated")
}

/// Reads values (of a pending host call, or its answer), as
/// `Writer::values` wrote them.
fn read_values(r: &mut Reader<'_>, store: &Store, funcs: usize) -> Result<Vec<Val>, Error> {
    let n = r.count(9)?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        let tag = r.u8()?;
        let raw = r.u64()?;
        values.push(match tag {
            0 => Val::I32(raw as u32 as i32),
            1 => Val::I64(raw as i64),
            2 => Val::F32(raw as u32),
            3 => Val::F64(raw),
            4 => {
                let (func, importer) = (raw as u32, (raw >> 32) as u32);
                match (func, importer) {
                    (NONE, NONE) => Val::FuncRef(None),
                    (f, NONE) if (f as usize) < funcs => {
                        Val::FuncRef(Some(Func(Stored { store: store.id(), index: f })))
                    }
                    _ => return Err(bad("bad function reference in a value")),
                }
            }
            5 => Val::ExternRef(ExternRef::from_raw(raw)),
            7 => Val::V128(V128::from(u128::from(raw) | u128::from(r.u64()?) << 64)),
            6 if raw == 0 => Val::ExnRef(None),
            other => return Err(bad(format!("unknown value type {other}"))),
        });
    }
    Ok(values)
}

fn check_types(store: &Store, what: &str, values: &[Val], types: &[ValType]) -> Result<(), Error> {
    if values.len() != types.len() || values.iter().zip(types).any(|(v, t)| !v.matches(store, *t)) {
        return Err(bad(format!("the {what} do not match the host function's type")));
    }
    Ok(())
}

impl Call {
    /// The call, suspended, as versioned plain data (format in the module
    /// docs of `serialize.rs`): a fingerprint of the store's layout, the
    /// called function, the pending host call, fuel accounting, and the
    /// saved frames, each naming its instance, with funcrefs translated to
    /// function ids. Errors: [`Error::BadArgument`] if the call is not
    /// suspended or belongs to another store; [`Error::Limit`] past the
    /// format's bounds (module docs). Any other failure is a bug
    /// ([`Error::Internal`]).
    pub fn to_bytes(&self, store: &Store) -> Result<Vec<u8>, Error> {
        if store.id() != self.store_id {
            return Err(Error::BadArgument("the call belongs to another store".into()));
        }
        let (instances, funcs) = (store.instances.len(), store.funcs.len());
        let mut w = Writer { bytes: Vec::new(), store: store.id() };
        w.bytes.extend_from_slice(MAGIC);
        w.u32(VERSION);
        w.len(instances)?;
        w.len(funcs)?;
        w.u64(store_fingerprint(store, instances, funcs));
        w.u32(self.func.0.index);
        w.u64(self.fuel_consumed);
        match self.fuel_limit {
            None => w.u8(0),
            Some(limit) => {
                w.u8(1);
                w.u64(limit);
            }
        }
        let stop = match &self.phase {
            Phase::Yielded => {
                w.u8(0);
                Some(StoppedAt::Yield)
            }
            Phase::HostCall(p) => {
                w.u8(1);
                w.u32(p.func.0.index);
                w.u8(p.direct.into());
                w.values(&p.args)?;
                match &p.answer {
                    None => w.u8(0),
                    Some(Answer::Results(values)) => {
                        w.u8(1);
                        w.values(values)?;
                    }
                    Some(Answer::Trap(trap)) => {
                        w.u8(2);
                        w.u32(trap.code as u32);
                        w.len(trap.message.len())?;
                        w.bytes.extend_from_slice(trap.message.as_bytes());
                    }
                    Some(Answer::Again) => w.u8(3),
                    Some(Answer::Throw(exception)) => {
                        w.u8(4);
                        w.u32(exception.tag.0.index);
                        w.values(&exception.payload)?;
                    }
                }
                (!p.direct).then_some(StoppedAt::HostCall)
            }
            Phase::Ready(_) | Phase::Done => {
                return Err(Error::BadArgument("only a suspended call can be saved".into()));
            }
        };
        let words = self.buffer.records();
        let found = match stop {
            None => Vec::new(),
            Some(stop) => {
                let entry = store
                    .func(self.func)?
                    .defined_in
                    .ok_or_else(|| Error::internal("saved frames for a call of a host function"))?;
                let by_vmctx = instances_by_vmctx(store, instances);
                records::walk(store, &by_vmctx, entry, words, stop)
                    .map_err(|m| Error::internal(format!("the saved frames do not read back: {m}")))?
            }
        };
        let has_funcrefs = found.iter().any(|r| r.resume.slots.contains(&ValType::FuncRef));
        let ids = if has_funcrefs { funcref_ids(store) } else { HashMap::new() };
        w.len(found.len())?;
        for record in &found {
            w.u32(record.instance);
            w.u32(record.func);
            w.u32(record.point);
            w.len(record.resume.words())?;
            let mut at = record.start;
            for ty in record.resume.slots.iter() {
                let slot = words[at];
                at += ty.words();
                match ty.repr() {
                    ValType::V128 => {
                        w.u64(slot);
                        w.u64(words[at - 1]);
                    }
                    ValType::I32 | ValType::F32 => w.u64(slot & u64::from(u32::MAX)),
                    ValType::FuncRef if slot == 0 => w.func_id((NONE, NONE)),
                    ValType::FuncRef => {
                        let id = ids
                            .get(&slot)
                            .copied()
                            .ok_or_else(|| Error::internal("a saved funcref is not a function of the store"))?;
                        w.func_id(id);
                    }
                    ValType::I64 | ValType::F64 | ValType::ExternRef => w.u64(slot),
                    ValType::ExnRef if slot == 0 => w.u64(0),
                    // An exception object belongs to its store, and what it
                    // holds may too: it has no form as bytes.
                    ValType::ExnRef => {
                        return Err(Error::BadArgument(
                            "a suspended call holding a caught exception (a non-null exnref) cannot be saved".into(),
                        ))
                    }
                    // `repr` is never one.
                    ValType::Ref(_) => {
                        return Err(Error::internal("a record slot of a reference type not represented"))
                    }
                }
            }
        }
        let checksum = Fnv64::of_words(&w.bytes);
        w.u64(checksum);
        Ok(w.bytes)
    }

    /// Reads [`Call::to_bytes`] output back, for the same store or one
    /// rebuilt identically (see the module docs of `serialize.rs`). Rejects
    /// other formats and versions (version 1 included), damaged bytes, and
    /// continuations of another store layout with [`Error::BadArgument`];
    /// never panics.
    pub fn from_bytes(store: &Store, bytes: &[u8]) -> Result<Call, Error> {
        let mut r = Reader::new(bytes, truncated);
        if r.take(MAGIC.len()).map_err(|_| bad("not a wasmbeam continuation"))? != MAGIC {
            return Err(bad("not a wasmbeam continuation"));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(bad(format!(
                "format version {version}, this build reads version {VERSION} (save the call again with this build)"
            )));
        }
        let Some(body_len) = bytes.len().checked_sub(8) else { return Err(bad("truncated")) };
        if body_len < MAGIC.len() + 4 {
            return Err(bad("truncated"));
        }
        let mut tail = Reader::new(&bytes[body_len..], truncated);
        if tail.u64()? != Fnv64::of_words(&bytes[..body_len]) {
            return Err(bad("damaged (checksum mismatch)"));
        }
        r.bytes = &bytes[MAGIC.len() + 4..body_len];
        let instances = r.u32()? as usize;
        let funcs = r.u32()? as usize;
        let fingerprint = r.u64()?;
        if instances > store.instances.len()
            || funcs > store.funcs.len()
            || fingerprint != store_fingerprint(store, instances, funcs)
        {
            return Err(bad("it belongs to a store with other modules or functions"));
        }
        let func_at = |index: u32| -> Result<Func, Error> {
            if (index as usize) < funcs {
                Ok(Func(Stored { store: store.id(), index }))
            } else {
                Err(bad(format!("function {index} out of range")))
            }
        };
        let func = func_at(r.u32()?)?;
        let fuel_consumed = r.u64()?;
        let fuel_limit = match r.u8()? {
            0 => None,
            1 => Some(r.u64()?),
            _ => return Err(bad("bad fuel limit")),
        };
        let (phase, stop) = match r.u8()? {
            0 => (Phase::Yielded, Some(StoppedAt::Yield)),
            1 => {
                let (pending, direct) = read_host_call(&mut r, store, funcs, func)?;
                (Phase::HostCall(pending), (!direct).then_some(StoppedAt::HostCall))
            }
            _ => return Err(bad("bad stop kind")),
        };
        let count = r.count(16)?;
        let vmctx_of: Vec<u64> = store.instances.iter().take(instances).map(|i| i.vmctx_word()).collect();
        let mut words: Vec<u64> = Vec::new();
        let mut shapes = Vec::with_capacity(count);
        for _ in 0..count {
            let (instance, f, point) = (r.u32()?, r.u32()?, r.u32()?);
            let vmctx =
                *vmctx_of.get(instance as usize).ok_or_else(|| bad(format!("instance {instance} out of range")))?;
            let slots = r.count(8)?;
            let start = words.len();
            for _ in 0..slots {
                words.push(r.u64()?);
            }
            words.push(vmctx);
            words.push(header_word(f, point));
            shapes.push((start, instance, f, point, slots));
        }
        if !r.bytes.is_empty() {
            return Err(bad("trailing bytes"));
        }
        match stop {
            None if count != 0 => return Err(bad("frames saved for a host function")),
            None => {}
            Some(stop) => {
                let entry = store.func(func)?.defined_in.ok_or_else(|| bad("frames saved for a host function"))?;
                let by_vmctx = instances_by_vmctx(store, instances);
                let found = records::walk(store, &by_vmctx, entry, &words, stop).map_err(bad)?;
                if found.len() != count {
                    return Err(bad("the frames do not add up"));
                }
                for (record, shape) in found.iter().zip(&shapes) {
                    let read = (record.start, record.instance, record.func, record.point, record.resume.words());
                    if read != *shape {
                        return Err(bad("the frames do not add up"));
                    }
                    if let Some(type_index) = record.resume.callee_type {
                        check_callee(store, record, &words, type_index)?;
                    }
                    let mut at = record.start;
                    for ty in record.resume.slots.iter() {
                        let slot = &mut words[at];
                        at += ty.words();
                        match ty {
                            ValType::FuncRef => {
                                *slot = funcref_of_id(store, funcs, *slot as u32, (*slot >> 32) as u32)?
                            }
                            ValType::ExnRef if *slot != 0 => return Err(bad("a saved exnref is not null")),
                            _ => {}
                        }
                    }
                }
            }
        }
        let buffer = ContBuffer::from_records(&words).ok_or_else(|| Error::Limit("no memory for the frames".into()))?;
        Ok(Call {
            store_id: store.id(),
            func,
            words: store.func(func)?.words,
            phase,
            buffer,
            fuel_limit,
            fuel_consumed,
            suspendable: true,
            restored: true,
            // A stub's record resumes by compiling its function, if this
            // process has not yet.
            defer_compiles: false,
            pending_compile: None,
            host_ty: None,
            // Saved frames read from bytes hold no exnref (see above).
            frames_token: None,
        })
    }
}

/// Reads the pending host call of a call of `func` (stop kind `1`): the
/// call, and whether it is of the host function itself, with no frames.
fn read_host_call(r: &mut Reader, store: &Store, funcs: usize, func: Func) -> Result<(PendingHostCall, bool), Error> {
    let index = r.u32()?;
    if index as usize >= funcs {
        return Err(bad(format!("function {index} out of range")));
    }
    let host = Func(Stored { store: store.id(), index });
    let host_data = store.func(host)?;
    let Some(host_func) = host_data.host.as_ref().map(|h| h.func.clone()).filter(|h| h.can_suspend()) else {
        return Err(bad("the pending host call is not of a host function that can suspend"));
    };
    let may_run_again = !host_func.is_suspending();
    let host_ty = host_data.ty.clone();
    let direct = match r.u8()? {
        0 => false,
        1 if host == func => true,
        _ => return Err(bad("bad host call")),
    };
    let args = read_values(r, store, funcs)?;
    check_types(store, "arguments", &args, &host_ty.params)?;
    let answer = match r.u8()? {
        0 => None,
        1 => {
            let results = read_values(r, store, funcs)?;
            check_types(store, "results", &results, &host_ty.results)?;
            Some(Answer::Results(results))
        }
        2 => {
            let code = TrapCode::from_u32(r.u32()?).ok_or_else(|| bad("unknown trap code"))?;
            let len = r.count(1)?;
            let message = std::str::from_utf8(r.take(len)?).map_err(|_| bad("trap message not UTF-8"))?;
            Some(Answer::Trap(Trap { code, message: message.to_string() }))
        }
        3 if may_run_again => Some(Answer::Again),
        4 => {
            let index = r.u32()?;
            let tag = crate::tag::Tag(Stored { store: store.id(), index });
            let ty = store.tag(tag).map_err(|_| bad(format!("tag {index} out of range")))?.ty.clone();
            let payload = read_values(r, store, funcs)?;
            check_types(store, "exception's payload", &payload, &ty.params)?;
            Some(Answer::Throw(crate::exception::Exception { tag, payload }))
        }
        _ => return Err(bad("bad host call answer")),
    };
    Ok((PendingHostCall { func: host, args, ty: host_ty, answer, may_run_again, direct }, direct))
}

/// For a `call_indirect` record: the saved callee (its last slot, a
/// function id not yet translated) must be a function of the type the call
/// checked, `type_index` of the record's module, as the resumed frame calls
/// it with that signature without checking again.
fn check_callee(store: &Store, record: &records::Record, words: &[u64], type_index: u32) -> Result<(), Error> {
    // The callee is the last slot, one word.
    let id = record.resume.words().checked_sub(1).map(|last| words[record.start + last] as u32);
    let expected = store.instances.get(record.instance as usize).and_then(|i| i.module.type_id(type_index));
    let actual = id.and_then(|index| store.funcs.get(index as usize)).map(|f| f.vm.type_id);
    match (expected, actual) {
        (Some(expected), Some(actual)) if expected == actual => Ok(()),
        _ => Err(bad(format!(
            "the callee saved by function {} at resume point {} is not of the type its call checked",
            record.func, record.point
        ))),
    }
}
