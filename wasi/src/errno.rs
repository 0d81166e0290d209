//! [`Errno`]: the error codes of `wasi_snapshot_preview1` (witx `$errno`),
//! and how host errors map to them.

/// A WASI error code, as returned in `i32` by every function that can
/// fail. `Success` is 0; the others follow the witx numbering.
#[repr(u16)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    Addrinuse = 3,
    Addrnotavail = 4,
    Afnosupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    Badmsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    Connaborted = 13,
    Connrefused = 14,
    Connreset = 15,
    Deadlk = 16,
    Destaddrreq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Hostunreach = 23,
    Idrm = 24,
    Ilseq = 25,
    Inprogress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isconn = 30,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Msgsize = 35,
    Multihop = 36,
    Nametoolong = 37,
    Netdown = 38,
    Netreset = 39,
    Netunreach = 40,
    Nfile = 41,
    Nobufs = 42,
    Nodev = 43,
    Noent = 44,
    Noexec = 45,
    Nolck = 46,
    Nolink = 47,
    Nomem = 48,
    Nomsg = 49,
    Noprotoopt = 50,
    Nospc = 51,
    Nosys = 52,
    Notconn = 53,
    Notdir = 54,
    Notempty = 55,
    Notrecoverable = 56,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Ownerdead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    Protonosupport = 66,
    Prototype = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    Timedout = 73,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

impl Errno {
    /// The host's `errno` value `code` as a WASI error (`Io` for one WASI
    /// has no name for).
    pub fn from_raw_os_error(code: i32) -> Errno {
        match code {
            libc::E2BIG => Errno::TooBig,
            libc::EACCES => Errno::Acces,
            libc::EADDRINUSE => Errno::Addrinuse,
            libc::EADDRNOTAVAIL => Errno::Addrnotavail,
            libc::EAFNOSUPPORT => Errno::Afnosupport,
            libc::EAGAIN => Errno::Again,
            libc::EALREADY => Errno::Already,
            libc::EBADF => Errno::Badf,
            libc::EBADMSG => Errno::Badmsg,
            libc::EBUSY => Errno::Busy,
            libc::ECANCELED => Errno::Canceled,
            libc::ECHILD => Errno::Child,
            libc::ECONNABORTED => Errno::Connaborted,
            libc::ECONNREFUSED => Errno::Connrefused,
            libc::ECONNRESET => Errno::Connreset,
            libc::EDEADLK => Errno::Deadlk,
            libc::EDESTADDRREQ => Errno::Destaddrreq,
            libc::EDOM => Errno::Dom,
            libc::EDQUOT => Errno::Dquot,
            libc::EEXIST => Errno::Exist,
            libc::EFAULT => Errno::Fault,
            libc::EFBIG => Errno::Fbig,
            libc::EHOSTUNREACH => Errno::Hostunreach,
            libc::EIDRM => Errno::Idrm,
            libc::EILSEQ => Errno::Ilseq,
            libc::EINPROGRESS => Errno::Inprogress,
            libc::EINTR => Errno::Intr,
            libc::EINVAL => Errno::Inval,
            libc::EIO => Errno::Io,
            libc::EISCONN => Errno::Isconn,
            libc::EISDIR => Errno::Isdir,
            libc::ELOOP => Errno::Loop,
            libc::EMFILE => Errno::Mfile,
            libc::EMLINK => Errno::Mlink,
            libc::EMSGSIZE => Errno::Msgsize,
            libc::EMULTIHOP => Errno::Multihop,
            libc::ENAMETOOLONG => Errno::Nametoolong,
            libc::ENETDOWN => Errno::Netdown,
            libc::ENETRESET => Errno::Netreset,
            libc::ENETUNREACH => Errno::Netunreach,
            libc::ENFILE => Errno::Nfile,
            libc::ENOBUFS => Errno::Nobufs,
            libc::ENODEV => Errno::Nodev,
            libc::ENOENT => Errno::Noent,
            libc::ENOEXEC => Errno::Noexec,
            libc::ENOLCK => Errno::Nolck,
            libc::ENOLINK => Errno::Nolink,
            libc::ENOMEM => Errno::Nomem,
            libc::ENOMSG => Errno::Nomsg,
            libc::ENOPROTOOPT => Errno::Noprotoopt,
            libc::ENOSPC => Errno::Nospc,
            libc::ENOSYS => Errno::Nosys,
            libc::ENOTCONN => Errno::Notconn,
            libc::ENOTDIR => Errno::Notdir,
            libc::ENOTEMPTY => Errno::Notempty,
            libc::ENOTRECOVERABLE => Errno::Notrecoverable,
            libc::ENOTSOCK => Errno::Notsock,
            libc::ENOTSUP => Errno::Notsup,
            libc::ENOTTY => Errno::Notty,
            libc::ENXIO => Errno::Nxio,
            libc::EOVERFLOW => Errno::Overflow,
            libc::EOWNERDEAD => Errno::Ownerdead,
            libc::EPERM => Errno::Perm,
            libc::EPIPE => Errno::Pipe,
            libc::EPROTO => Errno::Proto,
            libc::EPROTONOSUPPORT => Errno::Protonosupport,
            libc::EPROTOTYPE => Errno::Prototype,
            libc::ERANGE => Errno::Range,
            libc::EROFS => Errno::Rofs,
            libc::ESPIPE => Errno::Spipe,
            libc::ESRCH => Errno::Srch,
            libc::ESTALE => Errno::Stale,
            libc::ETIMEDOUT => Errno::Timedout,
            libc::ETXTBSY => Errno::Txtbsy,
            libc::EXDEV => Errno::Xdev,
            _ => Errno::Io,
        }
    }
}

impl From<std::io::Error> for Errno {
    fn from(error: std::io::Error) -> Errno {
        if let Some(code) = error.raw_os_error() {
            return Errno::from_raw_os_error(code);
        }
        use std::io::ErrorKind::*;
        match error.kind() {
            NotFound => Errno::Noent,
            PermissionDenied => Errno::Acces,
            AlreadyExists => Errno::Exist,
            InvalidInput => Errno::Inval,
            Unsupported => Errno::Notsup,
            OutOfMemory => Errno::Nomem,
            WouldBlock => Errno::Again,
            _ => Errno::Io,
        }
    }
}

/// What a WASI function returns to the guest: `Ok` is `Success`.
pub type WasiResult<T> = Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_follows_witx() {
        assert_eq!(Errno::Success as u16, 0);
        assert_eq!(Errno::TooBig as u16, 1);
        assert_eq!(Errno::Badf as u16, 8);
        assert_eq!(Errno::Fault as u16, 21);
        assert_eq!(Errno::Notcapable as u16, 76);
        assert_eq!(Errno::from_raw_os_error(libc::ENOENT), Errno::Noent);
        assert_eq!(Errno::from_raw_os_error(libc::ELOOP), Errno::Loop);
        assert_eq!(Errno::from(std::io::Error::from(std::io::ErrorKind::NotFound)), Errno::Noent);
    }
}
