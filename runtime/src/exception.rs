//! Exceptions (exception handling): [`Exception`], what an uncaught one
//! is to the embedder, [`ExnRef`], an `exnref` value the embedder holds,
//! and the store's heap of exception objects.
//!
//! An exception object is what an `exnref` points at (see
//! [`VMException`]): the tag's identity, a word of ours, and the payload's
//! slots. Compiled code allocates one per `throw` (builtin
//! `new_exception`) and may keep it in locals, globals, tables and saved
//! frames as long as it likes, so the store owns them all, and frees the
//! unreachable ones only when nothing can hold one it cannot see: no
//! WebAssembly frame is on the stack and no suspended call holds saved
//! frames (see [`Store::collect_exceptions`]). Then the only holders are
//! globals and tables, and the embedder's [`ExnRef`]s: an object that was
//! ever handed to the embedder is *pinned* and lives as long as the store.

use crate::error::Error;
use crate::owned::Owned;
use crate::store::Store;
use crate::tag::Tag;
use crate::values::Val;
use std::collections::HashSet;
use std::sync::Arc;
use wasmbeam_jit::vm::{RawRef, VMException, VMTag};
use wasmbeam_jit::ValType;

/// An exception that no WebAssembly handler caught ([`Error::Exception`]):
/// its tag and payload. A host function that returns it as its error
/// throws it into the calling WebAssembly code, where `try_table` may
/// catch it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    pub tag: Tag,
    pub payload: Vec<Val>,
}

impl Exception {
    pub fn new(tag: Tag, payload: Vec<Val>) -> Exception {
        Exception { tag, payload }
    }

    /// The tag's index in its store (tags are numbered in creation order).
    pub fn tag_index(&self) -> u32 {
        self.tag.0.index
    }
}

impl std::fmt::Display for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "uncaught exception (tag {}, {} payload values)", self.tag.0.index, self.payload.len())
    }
}

/// A non-null `exnref` held by the embedder: an exception object of one
/// store, which it keeps alive for as long as the store lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExnRef {
    pub(crate) store: u64,
    pub(crate) raw: RawRef,
}

/// Bit of an object's `embedder_word`: handed to the embedder, never freed.
const PINNED: u64 = 1 << 63;

/// The most exception objects a store keeps at once; a `throw` past it
/// traps. Collections keep the count down for code that throws and
/// catches without holding on to its exceptions.
pub const MAX_LIVE_EXCEPTIONS: usize = 1 << 20;

/// The store's exception objects, each an `Owned<[u64]>` so its address
/// never changes: word 0 the tag (`*const VMTag`), word 1 the object's
/// index here (and [`PINNED`]), then the payload's slots.
#[derive(Default)]
pub(crate) struct ExceptionHeap {
    objects: Vec<Owned<[u64]>>,
    /// Collect when this many objects exist (see [`Store::collect_exceptions`]).
    next_collection: usize,
    /// Held by every suspended [`crate::Call`] with saved frames (which
    /// may hold `exnref`s the heap cannot see): more than one strong count
    /// means no collection.
    pub(crate) frames_token: Arc<()>,
}

const HEADER_WORDS: usize = VMException::PAYLOAD_OFFSET as usize / 8;
const FIRST_COLLECTION: usize = 1024;

impl ExceptionHeap {
    /// A new object of `tag` with `slots` zeroed payload slots; `None` past
    /// [`MAX_LIVE_EXCEPTIONS`].
    pub(crate) fn allocate(&mut self, tag: *const VMTag, slots: usize) -> Option<RawRef> {
        if self.objects.len() >= MAX_LIVE_EXCEPTIONS {
            return None;
        }
        let mut words = vec![0u64; HEADER_WORDS + slots].into_boxed_slice();
        words[0] = tag as usize as u64;
        words[1] = self.objects.len() as u64;
        let object = Owned::from_box(words);
        let raw = object.as_ptr().cast::<u64>() as usize as u64;
        self.objects.push(object);
        Some(raw)
    }

    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether a collection is due: enough new objects, nothing holding
    /// frames the heap cannot see but the active activations (the caller
    /// checks there are none).
    #[inline]
    pub(crate) fn wants_collection(&self) -> bool {
        self.objects.len() >= self.next_collection.max(FIRST_COLLECTION) && Arc::strong_count(&self.frames_token) == 1
    }

    /// Frees every object neither pinned nor in `roots` (the raw `exnref`s
    /// held by globals and tables).
    pub(crate) fn collect(&mut self, roots: &HashSet<RawRef>) {
        let objects = std::mem::take(&mut self.objects);
        for object in objects {
            let raw = object.as_ptr().cast::<u64>() as usize as u64;
            if object[1] & PINNED != 0 || roots.contains(&raw) {
                self.objects.push(object);
            }
        }
        for (index, object) in self.objects.iter_mut().enumerate() {
            object[1] = (object[1] & PINNED) | index as u64;
        }
        self.next_collection = 2 * self.objects.len();
    }
}

/// The tag identity and payload slots of the object `raw`.
///
/// # Safety
/// `raw` must be a live exception object of a store (every non-null
/// `exnref` compiled code or this crate produces is one, see the module
/// docs), and no one may be writing to it.
pub(crate) unsafe fn object_parts<'a>(raw: RawRef, slots: usize) -> (*const VMTag, &'a [u64]) {
    let words = raw as usize as *const u64;
    // SAFETY: the object has its header and `slots` payload slots (the
    // tag's type, which the caller read from the tag this object names);
    // nobody writes to it (contract).
    unsafe {
        let tag = words.read() as usize as *const VMTag;
        (tag, std::slice::from_raw_parts(words.add(HEADER_WORDS), slots))
    }
}

/// Marks object `raw` as held by the embedder: it is never freed.
///
/// # Safety
/// As [`object_parts`].
pub(crate) unsafe fn pin(raw: RawRef) {
    let word = (raw as usize as *mut u64).wrapping_add(1);
    // SAFETY: word 1 of a live object (contract), which only the heap and
    // this function write, never while compiled code of the store runs
    // with a Rust reference to it.
    unsafe { word.write(word.read() | PINNED) };
}

impl Store {
    /// The [`Tag`] of the `VMTag` at `tag`, one of this store's.
    fn tag_of(&self, tag: *const VMTag) -> Result<Tag, Error> {
        // SAFETY: every `VMTag` an exception object names is one of this
        // store's tags (written by `new_exception` from a vmctx word, or by
        // `throw_exception` from a handle checked to be this store's), and
        // tags are never freed before the store; `embedder_index` is
        // written once.
        let index = unsafe { std::ptr::addr_of!((*tag).embedder_index).read() };
        let tag = Tag(crate::store::Stored { store: self.id(), index });
        self.tag(tag)?;
        Ok(tag)
    }

    /// The exception `raw` (a non-null `exnref` of this store) as the
    /// embedder sees it. Its `exnref` payload values are pinned.
    pub(crate) fn exception_of(&self, raw: RawRef) -> Result<Exception, Error> {
        // SAFETY: a non-null exnref of this store is a live object
        // (contract); its word 0 is written at allocation only.
        let tag_ptr = unsafe { (raw as usize as *const u64).read() } as usize as *const VMTag;
        let tag = self.tag_of(tag_ptr)?;
        let ty = self.tag(tag)?.ty.clone();
        // SAFETY: as above; the payload has the words of the tag type's parameters.
        let (_, slots) = unsafe { object_parts(raw, wasmbeam_jit::abi::words_of(&ty.params)) };
        let id = self.id();
        // SAFETY: the slots were written by compiled code of this store
        // (or by `throw_exception`) with values of the tag's types.
        let payload = unsafe { crate::values::vals_from_raw(&ty.params, slots, id) };
        Ok(Exception { tag, payload })
    }

    /// A new exception object for `exception` (to throw it into
    /// WebAssembly code). Errors: a tag or payload of another store, a
    /// payload not of the tag's type, too many live exceptions.
    pub(crate) fn exception_object(&mut self, exception: &Exception) -> Result<RawRef, Error> {
        let data = self.tag(exception.tag)?;
        let ty = data.ty.clone();
        let vm_tag = &data.vm as *const VMTag;
        let types: Vec<ValType> = exception.payload.iter().map(Val::ty).collect();
        if types[..] != ty.params[..] {
            return Err(Error::BadArgument(format!(
                "an exception of a tag of type {ty} cannot carry values of types {types:?}"
            )));
        }
        let raw_payload = crate::values::raw_words(self, &exception.payload)?;
        let raw = self
            .exceptions
            .allocate(vm_tag, raw_payload.len())
            .ok_or_else(|| Error::Limit(format!("more than {MAX_LIVE_EXCEPTIONS} live exceptions")))?;
        let words = raw as usize as *mut u64;
        for (i, value) in raw_payload.into_iter().enumerate() {
            // SAFETY: the object was just allocated with this many payload
            // slots after its header, and nothing else refers to it yet.
            unsafe { words.add(HEADER_WORDS + i).write(value) };
        }
        Ok(raw)
    }

    /// Frees the exception objects nothing can reach, if a collection is
    /// due and possible: no activation of this store is running and no
    /// suspended call holds saved frames. Called before a call starts.
    #[inline]
    pub(crate) fn collect_exceptions(&mut self) {
        if self.activations.depth() == 0 && self.exceptions.wants_collection() {
            self.collect_unreachable_exceptions();
        }
    }

    /// The collection itself (see [`Store::collect_exceptions`]).
    fn collect_unreachable_exceptions(&mut self) {
        let mut roots = HashSet::new();
        for global in &self.globals {
            if global.ty.content == ValType::ExnRef && global.vm.bits != 0 {
                roots.insert(global.vm.bits);
            }
        }
        for table in &self.tables {
            if table.ty().element == ValType::ExnRef {
                roots.extend(table.elements().iter().copied().filter(|r| *r != 0));
            }
        }
        self.exceptions.collect(&roots);
    }
}
