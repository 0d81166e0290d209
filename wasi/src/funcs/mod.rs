//! The 46 functions of `wasi_snapshot_preview1`, one group per file, each
//! a plain function of the state, the guest memory and the arguments; and
//! [`FUNCTIONS`], the table that names them with their signatures, from
//! which `linker.rs` makes the host functions.

pub(crate) mod args;
pub(crate) mod clock;
pub(crate) mod fd_io;
pub(crate) mod fd_meta;
pub(crate) mod misc;
pub(crate) mod path;
pub(crate) mod poll;

use crate::ctx::{Wait, WasiCtx};
use crate::errno::Errno;
use crate::guest::Guest;
use wasmbeam_runtime::{Val, ValType};

/// How a WASI function stops other than with success.
pub(crate) enum Halt {
    /// It fails with this error code (returned to the guest).
    Errno(Errno),
    /// It would wait: the call suspends until the embedder has made this
    /// happen, then the function runs again.
    Suspend(Wait),
    /// `proc_exit`: the call ends with this status.
    Exit(i32),
}

impl From<Errno> for Halt {
    fn from(errno: Errno) -> Halt {
        Halt::Errno(errno)
    }
}

/// What a WASI function's body returns: `Ok` is `ESUCCESS`.
pub(crate) type Outcome = Result<(), Halt>;

/// The arguments of a WASI call, by position.
pub(crate) struct Args<'a>(pub(crate) &'a [Val]);

impl Args<'_> {
    /// Argument `i` as an unsigned 32-bit value (pointers, lengths, fds,
    /// flags); 0 if the argument is missing (the signature rules that out).
    pub(crate) fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Val::I32(v)) => *v as u32,
            Some(Val::I64(v)) => *v as u32,
            _ => 0,
        }
    }

    /// Argument `i` as an unsigned 64-bit value.
    pub(crate) fn u64(&self, i: usize) -> u64 {
        match self.0.get(i) {
            Some(Val::I64(v)) => *v as u64,
            Some(Val::I32(v)) => u64::from(*v as u32),
            _ => 0,
        }
    }

    /// Argument `i`, a flags field of `bits` width: `EINVAL` if it has bits
    /// outside `allowed`.
    pub(crate) fn flags(&self, i: usize, allowed: u32) -> Result<u32, Errno> {
        let v = self.u32(i);
        if v & !allowed != 0 {
            Err(Errno::Inval)
        } else {
            Ok(v)
        }
    }
}

/// A WASI function's body.
pub(crate) type Body = fn(&mut WasiCtx, &mut Guest<'_>, &Args<'_>) -> Outcome;

/// One function of the module: its name, parameter types, whether it
/// returns an errno (all but `proc_exit`), and its body.
pub(crate) struct Def {
    pub(crate) name: &'static str,
    pub(crate) params: &'static [ValType],
    pub(crate) returns_errno: bool,
    pub(crate) body: Body,
}

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

macro_rules! defs {
    ($($name:ident ($($p:ident),*) $(-> $ret:ident)? = $body:path;)*) => {
        /// Every function of `wasi_snapshot_preview1`, in witx order.
        pub(crate) const FUNCTIONS: &[Def] = &[
            $(Def {
                name: stringify!($name),
                params: &[$($p),*],
                returns_errno: defs!(@errno $($ret)?),
                body: $body,
            },)*
        ];
    };
    (@errno) => { true };
    (@errno $ret:ident) => { false };
}

defs! {
    args_get(I, I) = args::args_get;
    args_sizes_get(I, I) = args::args_sizes_get;
    environ_get(I, I) = args::environ_get;
    environ_sizes_get(I, I) = args::environ_sizes_get;
    clock_res_get(I, I) = clock::clock_res_get;
    clock_time_get(I, L, I) = clock::clock_time_get;
    fd_advise(I, L, L, I) = fd_meta::fd_advise;
    fd_allocate(I, L, L) = fd_meta::fd_allocate;
    fd_close(I) = fd_meta::fd_close;
    fd_datasync(I) = fd_meta::fd_datasync;
    fd_fdstat_get(I, I) = fd_meta::fd_fdstat_get;
    fd_fdstat_set_flags(I, I) = fd_meta::fd_fdstat_set_flags;
    fd_fdstat_set_rights(I, L, L) = fd_meta::fd_fdstat_set_rights;
    fd_filestat_get(I, I) = fd_meta::fd_filestat_get;
    fd_filestat_set_size(I, L) = fd_meta::fd_filestat_set_size;
    fd_filestat_set_times(I, L, L, I) = fd_meta::fd_filestat_set_times;
    fd_pread(I, I, I, L, I) = fd_io::fd_pread;
    fd_prestat_get(I, I) = fd_meta::fd_prestat_get;
    fd_prestat_dir_name(I, I, I) = fd_meta::fd_prestat_dir_name;
    fd_pwrite(I, I, I, L, I) = fd_io::fd_pwrite;
    fd_read(I, I, I, I) = fd_io::fd_read;
    fd_readdir(I, I, I, L, I) = fd_meta::fd_readdir;
    fd_renumber(I, I) = fd_meta::fd_renumber;
    fd_seek(I, L, I, I) = fd_io::fd_seek;
    fd_sync(I) = fd_meta::fd_sync;
    fd_tell(I, I) = fd_io::fd_tell;
    fd_write(I, I, I, I) = fd_io::fd_write;
    path_create_directory(I, I, I) = path::path_create_directory;
    path_filestat_get(I, I, I, I, I) = path::path_filestat_get;
    path_filestat_set_times(I, I, I, I, L, L, I) = path::path_filestat_set_times;
    path_link(I, I, I, I, I, I, I) = path::path_link;
    path_open(I, I, I, I, I, L, L, I, I) = path::path_open;
    path_readlink(I, I, I, I, I, I) = path::path_readlink;
    path_remove_directory(I, I, I) = path::path_remove_directory;
    path_rename(I, I, I, I, I, I) = path::path_rename;
    path_symlink(I, I, I, I, I) = path::path_symlink;
    path_unlink_file(I, I, I) = path::path_unlink_file;
    poll_oneoff(I, I, I, I) = poll::poll_oneoff;
    proc_exit(I) -> nothing = misc::proc_exit;
    proc_raise(I) = misc::proc_raise;
    sched_yield() = misc::sched_yield;
    random_get(I, I) = misc::random_get;
    sock_accept(I, I, I) = misc::sock_accept;
    sock_recv(I, I, I, I, I, I) = misc::sock_recv;
    sock_send(I, I, I, I, I) = misc::sock_send;
    sock_shutdown(I, I) = misc::sock_shutdown;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_46_functions_once() {
        assert_eq!(FUNCTIONS.len(), 46);
        let mut names: Vec<&str> = FUNCTIONS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 46);
        assert_eq!(FUNCTIONS.iter().filter(|d| !d.returns_errno).map(|d| d.name).collect::<Vec<_>>(), ["proc_exit"]);
    }
}
