//! Executable memory: one contiguous mapping per compiled module, written
//! while private and read-write, then made read-execute, and unmapped on drop.
//!
//! One mapping per module keeps every direct call between its functions
//! within a 32-bit displacement, and makes code size exact.

use crate::error::CompileError;

/// An immutable block of machine code. Never written after construction, so
/// sharing it across threads is sound.
pub struct CodeMemory {
    ptr: *mut u8,
    /// Bytes mapped (whole pages).
    len: usize,
    /// Bytes of code at the start of the mapping.
    code_len: usize,
}

// SAFETY: the mapping is read-execute and never mutated after `new` returns;
// the pointer is owned exclusively by this value and unmapped only in `drop`.
unsafe impl Send for CodeMemory {}
// SAFETY: as above; shared access only reads or executes immutable bytes.
unsafe impl Sync for CodeMemory {}

impl CodeMemory {
    /// Maps `code.len()` bytes, lets `patch` fix up relocations knowing the
    /// final address, then makes the mapping executable.
    pub fn new(code: &[u8], patch: impl FnOnce(&mut [u8], usize)) -> Result<CodeMemory, CompileError> {
        let page = page_size();
        let len = code.len().max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping with no address hint has no
        // preconditions; the result is checked against MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(CompileError::CodeMemory(std::io::Error::last_os_error().to_string()));
        }
        let memory = CodeMemory { ptr: ptr.cast(), len, code_len: code.len() };
        // SAFETY: the mapping is `len >= code.len()` bytes, readable and
        // writable, and exclusively ours until this function returns.
        let bytes = unsafe { std::slice::from_raw_parts_mut(memory.ptr, code.len()) };
        bytes.copy_from_slice(code);
        patch(bytes, memory.ptr as usize);
        flush_instruction_cache(memory.ptr, code.len());
        // SAFETY: `ptr`/`len` describe exactly the mapping created above.
        let rc = unsafe { libc::mprotect(ptr, len, libc::PROT_READ | libc::PROT_EXEC) };
        if rc != 0 {
            return Err(CompileError::CodeMemory(std::io::Error::last_os_error().to_string()));
        }
        Ok(memory)
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// Bytes of code (the mapping's first bytes).
    pub fn code_len(&self) -> usize {
        self.code_len
    }

    /// Bytes mapped (whole pages).
    pub fn mapped_len(&self) -> usize {
        self.len
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly one mapping we own; whoever holds
        // function pointers into it must keep this value alive (the runtime's
        // modules and instances hold it by `Arc`).
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// Makes the instructions just written to `ptr..ptr+len` visible to
/// instruction fetch. x86_64 keeps its caches coherent; aarch64 does not:
/// the data cache must be cleaned and the instruction cache invalidated for
/// the range (`__clear_cache`, from the compiler's runtime library), or a
/// core may run stale bytes.
#[cfg(target_arch = "aarch64")]
fn flush_instruction_cache(ptr: *mut u8, len: usize) {
    extern "C" {
        fn __clear_cache(start: *mut libc::c_char, end: *mut libc::c_char);
    }
    // SAFETY: `ptr..ptr+len` lies in the mapping just written; the builtin
    // only issues cache-maintenance instructions for that range.
    unsafe { __clear_cache(ptr.cast(), ptr.add(len).cast()) }
}

/// Instruction and data caches are coherent here: nothing to do.
#[cfg(not(target_arch = "aarch64"))]
fn flush_instruction_cache(_ptr: *mut u8, _len: usize) {}

/// Makes every other core running one of this process's threads execute
/// a context synchronization event (as `isb` does), so that none runs
/// instructions it fetched before code was written (aarch64 requires it of
/// code that other threads may call once they see its address: a lazily
/// compiled function). Linux's `membarrier` does it with one system call;
/// the process registers for it on first use. Where the kernel (or an
/// emulator) lacks it, nothing is done: there the emulation keeps
/// instruction fetch coherent, or no other core runs our threads.
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
fn synchronize_other_cores() {
    const REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: libc::c_long = 1 << 6;
    const PRIVATE_EXPEDITED_SYNC_CORE: libc::c_long = 1 << 5;
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        // SAFETY: `membarrier` takes two integers and touches no memory of
        // ours.
        unsafe { libc::syscall(libc::SYS_membarrier, REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0) == 0 }
    });
    if registered {
        // SAFETY: as above. A failure leaves nothing to undo.
        unsafe { libc::syscall(libc::SYS_membarrier, PRIVATE_EXPEDITED_SYNC_CORE, 0) };
    }
}

/// Instruction fetch is coherent with data writes here (x86_64), or the
/// target has no cheap way to reach other cores: nothing to do.
#[cfg(not(all(target_arch = "aarch64", target_os = "linux")))]
fn synchronize_other_cores() {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}

/// A reserved range of address space where a lazily compiled module's code
/// is placed piece by piece, each piece in pages of its own: written while
/// private and read-write, made read-execute before anyone can call it,
/// and never written again. One range per module keeps every direct call
/// between its pieces within reach of a 32-bit (x86_64) or 28-bit
/// (aarch64) displacement. Unmapped on drop.
pub struct CodeArena {
    base: *mut u8,
    size: usize,
    /// Bytes of the range used by pieces so far (whole pages).
    used: usize,
}

// SAFETY: the range is owned exclusively by this value; pages in use are
// read-execute and never written again, and new pages are written only
// through `&mut self`.
unsafe impl Send for CodeArena {}
// SAFETY: as above; `&self` gives no access to the memory.
unsafe impl Sync for CodeArena {}

impl CodeArena {
    /// Reserves `size` bytes of address space (no memory yet).
    pub fn reserve(size: usize) -> Result<CodeArena, CompileError> {
        let page = page_size();
        let size = size.max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping with no address hint has no
        // preconditions; the result is checked against MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(CompileError::CodeMemory(std::io::Error::last_os_error().to_string()));
        }
        Ok(CodeArena { base: ptr.cast(), size, used: 0 })
    }

    /// Places `code` in fresh pages after the last piece, lets `patch`
    /// fix up its relocations knowing its address, then makes it
    /// executable. Returns its address. Nothing runs the piece before this
    /// returns (its address is not known before).
    pub fn place(
        &mut self,
        code: &[u8],
        patch: impl FnOnce(&mut [u8], usize) -> Result<(), String>,
    ) -> Result<usize, CompileError> {
        let page = page_size();
        let len = code.len().max(1).div_ceil(page) * page;
        if len > self.size - self.used {
            return Err(CompileError::CodeMemory(format!("the module's code space ({} MiB) is full", self.size >> 20)));
        }
        // SAFETY: `used + len <= size`: the pages lie in our reservation.
        let ptr = unsafe { self.base.add(self.used) };
        // SAFETY: these pages are ours and not in use by anyone (fresh).
        let rc = unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_WRITE) };
        if rc != 0 {
            return Err(CompileError::CodeMemory(std::io::Error::last_os_error().to_string()));
        }
        self.used += len;
        // SAFETY: the pages are readable and writable now, `code.len() <=
        // len` bytes of them, and referenced by nothing else.
        let bytes = unsafe { std::slice::from_raw_parts_mut(ptr, code.len()) };
        bytes.copy_from_slice(code);
        patch(bytes, ptr as usize).map_err(|message| CompileError::Internal { func_index: None, message })?;
        flush_instruction_cache(ptr, code.len());
        // SAFETY: as above.
        let rc = unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_EXEC) };
        if rc != 0 {
            return Err(CompileError::CodeMemory(std::io::Error::last_os_error().to_string()));
        }
        // Other threads may call this piece as soon as the caller publishes
        // its address: they must not run instructions fetched before.
        synchronize_other_cores();
        Ok(ptr as usize)
    }
}

impl Drop for CodeArena {
    fn drop(&mut self) {
        // SAFETY: `base`/`size` are exactly one mapping we own; the module
        // that owns the arena outlives every instance (and so every call)
        // of its code.
        unsafe {
            libc::munmap(self.base.cast(), self.size);
        }
    }
}
