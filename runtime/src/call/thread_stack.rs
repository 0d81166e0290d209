//! The native stack of the current thread: where WebAssembly's stack limit
//! may go at the lowest.
//!
//! A call's stack limit is `max_wasm_stack` below where it was entered.
//! On a thread with a small stack (a BEAM scheduler started with a low
//! `+sss`, a dirty scheduler, a thread spawned with a small size) that
//! could lie below the end of the stack, and deep recursion would run off
//! it instead of trapping. So the limit is also kept at least
//! [`HOST_MARGIN`] above the lowest address of the thread's stack, leaving
//! room for the builtins and host functions compiled code calls near its
//! limit.

use std::cell::Cell;

/// Bytes kept free at the end of the thread's stack for code that runs
/// below WebAssembly's frames: builtins, host functions and the runtime's
/// own calls.
pub(crate) const HOST_MARGIN: usize = 128 * 1024;

thread_local! {
    /// The lowest usable address of this thread's stack, once asked
    /// (0: unknown, no clamping).
    static STACK_LOW: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The lowest stack limit that is safe on this thread given where the
/// caller is (`here`): `HOST_MARGIN` above the stack's end, or 0 when the
/// stack's bounds are unknown.
pub(crate) fn lowest_limit() -> usize {
    let low = STACK_LOW.with(|cell| {
        cell.get().unwrap_or_else(|| {
            let low = stack_low();
            cell.set(Some(low));
            low
        })
    });
    if low == 0 {
        0
    } else {
        low.saturating_add(HOST_MARGIN)
    }
}

/// The lowest address of the current thread's stack (0 if unknown).
#[cfg(target_os = "linux")]
fn stack_low() -> usize {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_getattr_np` initializes `attr` for the calling
    // thread when it returns 0; only then is `attr` read and destroyed.
    // `addr` and `size` are plain out-parameters.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return 0;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        if ok {
            // The guard page(s) lie at the low end, inside [addr, addr+size)
            // for threads glibc created; HOST_MARGIN dwarfs them.
            addr as usize
        } else {
            0
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn stack_low() -> usize {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_thread_stack_raises_the_lowest_limit_above_its_end() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let marker = 0u8;
                let here = std::hint::black_box(&marker) as *const u8 as usize;
                let lowest = lowest_limit();
                assert!(lowest > 0, "the stack bounds of a spawned thread are known on Linux");
                assert!(lowest < here, "the caller is above the margin");
                assert!(here - lowest < 256 * 1024, "the limit lies within this small stack");
            })
            .unwrap();
        handle.join().unwrap();
    }
}
