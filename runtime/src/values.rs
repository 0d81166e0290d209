//! [`Val`], [`V128`] and [`ExternRef`], and their raw form: the `u64`
//! words compiled code reads and writes.
//!
//! Raw encoding: `i32`/`f32` in the low 32 bits (bit pattern), `i64`/`f64`
//! all 64 bits, `v128` two words (low half first), `funcref` the address of
//! the function's `VMFuncRef` (0 for null), `externref` the payload plus
//! one (0 for null), `exnref` the address of the exception object (0 for
//! null, see `exception.rs`).

use crate::error::Error;
use crate::exception::{pin, ExnRef};
use crate::func::Func;
use crate::store::{Store, Stored};
use wasmbeam_jit::vm::{RawRef, VMFuncRef};
use wasmbeam_jit::{HeapType, ValType};

/// An opaque host value: a `u64` payload chosen by the embedder.
/// `u64::MAX` is reserved (its raw form would be null).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef(u64);

impl ExternRef {
    /// `None` for the reserved payload `u64::MAX`.
    pub fn new(payload: u64) -> Option<ExternRef> {
        if payload == u64::MAX {
            None
        } else {
            Some(ExternRef(payload))
        }
    }

    pub fn payload(self) -> u64 {
        self.0
    }

    pub(crate) fn to_raw(r: Option<ExternRef>) -> RawRef {
        match r {
            // Cannot overflow: payloads are below u64::MAX.
            Some(r) => r.0 + 1,
            None => 0,
        }
    }

    pub(crate) fn from_raw(raw: RawRef) -> Option<ExternRef> {
        raw.checked_sub(1).map(ExternRef)
    }
}

/// A 128-bit SIMD vector: its 16 bytes in memory order (lane 0 first), as a
/// little-endian `u128`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V128(u128);

impl V128 {
    pub fn from_bytes(bytes: [u8; 16]) -> V128 {
        V128(u128::from_le_bytes(bytes))
    }

    /// The 16 bytes as WebAssembly stores them in memory.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }

    pub fn as_u128(self) -> u128 {
        self.0
    }
}

impl From<u128> for V128 {
    fn from(bits: u128) -> V128 {
        V128(bits)
    }
}

/// A value's raw form: one word, or two for a `v128` (see the module's
/// doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawVal {
    words: [u64; 2],
    wide: bool,
}

impl RawVal {
    fn word(word: u64) -> RawVal {
        RawVal { words: [word, 0], wide: false }
    }

    pub(crate) fn as_slice(&self) -> &[u64] {
        &self.words[..1 + usize::from(self.wide)]
    }

    /// The one word of a value that is not a `v128`.
    pub(crate) fn narrow(self) -> u64 {
        self.words[0]
    }
}

/// The raw words of `vals`, one after the other.
pub(crate) fn raw_words(store: &Store, vals: &[Val]) -> Result<Vec<u64>, Error> {
    let mut words = Vec::with_capacity(vals.len());
    raw_words_into(store, vals, &mut words)?;
    Ok(words)
}

/// [`raw_words`], appended to `words`.
pub(crate) fn raw_words_into(store: &Store, vals: &[Val], words: &mut Vec<u64>) -> Result<(), Error> {
    for val in vals {
        words.extend_from_slice(val.to_raw(store)?.as_slice());
    }
    Ok(())
}

/// Reads values of types `types` from consecutive raw words.
///
/// # Safety
/// As [`Val::from_raw`], for each value; `words` holds at least the words
/// of `types`.
pub(crate) unsafe fn vals_from_raw(types: &[ValType], words: &[u64], store_id: u64) -> Vec<Val> {
    let mut at = 0;
    types
        .iter()
        .map(|t| {
            // SAFETY: the caller's contract.
            let val = unsafe { Val::from_raw(&words[at..], *t, store_id) };
            at += t.words();
            val
        })
        .collect()
}

/// A WebAssembly value. Floats are kept as bit patterns so NaN payloads
/// survive unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// Bit pattern.
    F32(u32),
    /// Bit pattern.
    F64(u64),
    V128(V128),
    FuncRef(Option<Func>),
    ExternRef(Option<ExternRef>),
    /// A caught exception (exception handling).
    ExnRef(Option<ExnRef>),
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::ExnRef(_) => ValType::ExnRef,
        }
    }

    /// Zero, or null for reference types (of the type's representation,
    /// [`ValType::repr`], even for a type that is not nullable).
    pub fn default_for(ty: ValType) -> Val {
        match ty.repr() {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128(0)),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::ExnRef => Val::ExnRef(None),
            ValType::Ref(_) => unreachable!("`ValType::repr` is never a `Ref`"),
        }
    }

    /// Whether this value is one of type `ty`: of its representation, not
    /// null unless `ty` is nullable, and for a function of a concrete
    /// type, of that type (`ty` canonical, as the runtime's types are:
    /// concrete types by engine-wide id). A function of another store is
    /// reported by [`Val::to_raw`] instead.
    pub fn matches(&self, store: &Store, ty: ValType) -> bool {
        self.matches_in(Some(store), ty)
    }

    /// [`Val::matches`]; without a store, a function's concrete type is
    /// not checked (the caller checks it later, with the store).
    pub(crate) fn matches_in(&self, store: Option<&Store>, ty: ValType) -> bool {
        let Some(r) = ty.ref_type() else { return self.ty() == ty };
        if self.ty() != ty.repr() {
            return false;
        }
        let non_null = match *self {
            Val::FuncRef(f) => f,
            Val::ExternRef(r) => return r.is_some() || ty.is_nullable(),
            Val::ExnRef(r) => return r.is_some() || ty.is_nullable(),
            _ => return false,
        };
        match (non_null, r.heap) {
            (None, _) => r.nullable,
            (Some(_), HeapType::NoFunc) => false,
            (Some(f), HeapType::Concrete(id)) => {
                store.is_none_or(|store| store.func(f).is_ok_and(|data| data.vm.type_id == id))
            }
            (Some(_), _) => true,
        }
    }

    pub fn i32(&self) -> Option<i32> {
        match *self {
            Val::I32(v) => Some(v),
            _ => None,
        }
    }

    pub fn i64(&self) -> Option<i64> {
        match *self {
            Val::I64(v) => Some(v),
            _ => None,
        }
    }

    pub fn f32(&self) -> Option<f32> {
        match *self {
            Val::F32(bits) => Some(f32::from_bits(bits)),
            _ => None,
        }
    }

    pub fn f64(&self) -> Option<f64> {
        match *self {
            Val::F64(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    pub fn v128(&self) -> Option<V128> {
        match *self {
            Val::V128(v) => Some(v),
            _ => None,
        }
    }

    /// `Some(None)` is a null funcref.
    pub fn funcref(&self) -> Option<Option<Func>> {
        match *self {
            Val::FuncRef(f) => Some(f),
            _ => None,
        }
    }

    /// `Some(None)` is a null externref.
    pub fn externref(&self) -> Option<Option<ExternRef>> {
        match *self {
            Val::ExternRef(r) => Some(r),
            _ => None,
        }
    }

    /// `Some(None)` is a null exnref.
    pub fn exnref(&self) -> Option<Option<ExnRef>> {
        match *self {
            Val::ExnRef(r) => Some(r),
            _ => None,
        }
    }

    /// The raw form of this value, for compiled code of `store`. Fails
    /// for a function of another store, or one that cannot be called from
    /// compiled code (see [`Store::funcref_raw`]).
    pub(crate) fn to_raw(self, store: &Store) -> Result<RawVal, Error> {
        Ok(RawVal::word(match self {
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F32(bits) => bits as u64,
            Val::F64(bits) => bits,
            Val::V128(V128(bits)) => return Ok(RawVal { words: [bits as u64, (bits >> 64) as u64], wide: true }),
            Val::FuncRef(None) => 0,
            Val::FuncRef(Some(f)) => store.funcref_raw(f)?,
            Val::ExternRef(r) => ExternRef::to_raw(r),
            Val::ExnRef(None) => 0,
            Val::ExnRef(Some(r)) if r.store == store.id() => r.raw,
            Val::ExnRef(Some(_)) => return Err(Error::BadArgument("the exnref belongs to another store".into())),
        }))
    }

    /// Reads a value of type `ty` from the start of `words` (one word, two
    /// for a `v128`; `words` must hold them).
    ///
    /// # Safety
    /// For `FuncRef`, a non-zero word must be the address of a live
    /// `VMFuncRef` of the store whose id is `store_id` (every funcref value
    /// compiled code or this crate produces for that store is one: they are
    /// only ever made by [`Val::to_raw`] or read from vmctx function slots).
    /// For `ExnRef`, a non-zero word must be a live exception object of
    /// that store; it is pinned (the embedder may hold it from now on).
    pub(crate) unsafe fn from_raw(words: &[u64], ty: ValType, store_id: u64) -> Val {
        let raw = words[0];
        match ty.repr() {
            ValType::Ref(_) => unreachable!("`ValType::repr` is never a `Ref`"),
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            ValType::V128 => Val::V128(V128(u128::from(raw) | u128::from(words[1]) << 64)),
            ValType::ExternRef => Val::ExternRef(ExternRef::from_raw(raw)),
            ValType::ExnRef if raw == 0 => Val::ExnRef(None),
            ValType::ExnRef => {
                // SAFETY: a live exception object (our contract).
                unsafe { pin(raw) };
                Val::ExnRef(Some(ExnRef { store: store_id, raw }))
            }
            ValType::FuncRef if raw == 0 => Val::FuncRef(None),
            ValType::FuncRef => {
                let funcref = raw as usize as *const VMFuncRef;
                // SAFETY: by the caller's contract `funcref` is a live
                // `VMFuncRef`; its `embedder_index` is written once when it
                // is created and never changes.
                let index = unsafe { std::ptr::addr_of!((*funcref).embedder_index).read() };
                Val::FuncRef(Some(Func(Stored { store: store_id, index })))
            }
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<V128> for Val {
    fn from(v: V128) -> Val {
        Val::V128(v)
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

impl Store {
    /// The raw funcref of `f`: the address of its `VMFuncRef`.
    ///
    /// On an engine that can run code, a function whose `func_ptr` is null
    /// (a host function whose stub could not be compiled) is refused, so
    /// compiled code never calls a null pointer. On other engines nothing
    /// ever runs, and the value is only a token.
    pub(crate) fn funcref_raw(&self, f: Func) -> Result<u64, Error> {
        let data = self.func(f)?;
        if data.vm.func_ptr.is_null() && self.engine().is_executable() {
            let why = data.host.as_ref().and_then(|h| h.stub_error.as_deref()).unwrap_or("no error recorded");
            return Err(Error::internal(format!("this host function has no native stub: {why}")));
        }
        Ok(self.funcref_ptr(f)? as usize as u64)
    }
}
