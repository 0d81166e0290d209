//! Host directories as sandboxed capabilities: [`HostDir`], a [`WasiDir`]
//! over a directory of the host file system, built on `cap-std` (what
//! wasmtime-wasi builds its sandbox on).
//!
//! [`HostDir::open`] is the only place that uses ambient authority (a path
//! of the host). Every other path is resolved by `cap-std` relative to the
//! directory's own file descriptor and cannot leave it: `..` above the
//! root, absolute paths, and symlinks that lead outside (absolute targets,
//! or `..` climbing) are refused, also when a symlink changes while it is
//! being resolved (on Linux `openat2` with `RESOLVE_BENEATH` does the
//! resolution in the kernel; without it, `cap-std` walks the path one
//! component at a time with `O_NOFOLLOW`).
//!
//! Errors are the host's `errno` values (`Errno::from(io::Error)`), but for
//! two cases where wasmtime answers for itself, and so do we:
//! - a path that would escape the directory is `EPERM`: `cap-std` reports
//!   it as `PermissionDenied` with no OS error code, which wasmtime's
//!   `crates/wasi/src/filesystem.rs` (`From<&io::Error> for ErrorCode`)
//!   maps to `ErrorCode::NotPermitted`, and its `crates/wasi/src/p1.rs` to
//!   `Errno::Perm`;
//! - every mutation through a read-only directory is `EPERM`: wasmtime
//!   checks `DirPerms::MUTATE` / `FilePerms::WRITE` before each one and
//!   returns `ErrorCode::NotPermitted`, that is `Errno::Perm`.

mod file;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_escape;

use super::{DirEntry, Filestat, OpenOptions, Opened, SetTime, WasiDir};
use crate::abi::filetype;
use crate::errno::{Errno, WasiResult};
use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{Dir, FileType, FileTypeExt, Metadata, MetadataExt, OpenOptionsExt};
use file::HostFile;
use std::any::Any;
use std::io;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// A directory of the host file system, and the root of every path
/// resolved in it: nothing outside it can be reached through it.
///
/// A read-only `HostDir` (and every directory and file opened through
/// it) refuses each mutation with `EPERM`, as wasmtime does for a preopen
/// without `DirPerms::MUTATE`: opening for writing, creating, truncating,
/// `create_dir`, `remove_dir`, `unlink_file`, `rename`, `link`, `symlink`,
/// setting times, and on its files `set_len`, `set_times` and `allocate`.
pub struct HostDir {
    dir: Dir,
    read_only: bool,
}

impl HostDir {
    /// Opens the host directory `path` (with the process's ambient
    /// authority: the one place this module uses it). With `read_only`,
    /// nothing can be changed through it.
    pub fn open(path: impl AsRef<Path>, read_only: bool) -> io::Result<HostDir> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())?;
        Ok(HostDir { dir, read_only })
    }

    /// Whether this directory refuses mutations.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// `EPERM` if this directory is read-only.
    fn writable(&self) -> WasiResult<()> {
        if self.read_only {
            Err(Errno::Perm)
        } else {
            Ok(())
        }
    }

    /// The other directory of a two-directory operation (`link`,
    /// `rename`), if it is a writable `HostDir`: `EXDEV` if it is of
    /// another file system, `EPERM` if it is read-only.
    fn writable_peer<'d>(&self, other: &'d dyn WasiDir) -> WasiResult<&'d HostDir> {
        self.writable()?;
        let other = other.as_any().downcast_ref::<HostDir>().ok_or(Errno::Xdev)?;
        other.writable()?;
        Ok(other)
    }
}

/// A host error as a WASI one: the OS error code, but `EPERM` for the
/// errors `cap-std` makes up when a path would leave the directory (no OS
/// error code, `PermissionDenied`), as wasmtime.
pub(crate) fn errno(error: io::Error) -> Errno {
    if error.raw_os_error().is_none() && error.kind() == io::ErrorKind::PermissionDenied {
        Errno::Perm
    } else {
        Errno::from(error)
    }
}

/// A WASI filetype for a host one (as wasmtime: FIFOs and sockets are
/// `UNKNOWN`).
pub(crate) fn filetype_of(file_type: FileType) -> u8 {
    if file_type.is_dir() {
        filetype::DIRECTORY
    } else if file_type.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if file_type.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if file_type.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if file_type.is_file() {
        filetype::REGULAR_FILE
    } else {
        filetype::UNKNOWN
    }
}

/// Seconds and nanoseconds since the epoch as WASI's nanoseconds (times
/// before the epoch are 0).
fn nanos(secs: i64, nsec: i64) -> u64 {
    let ns = i128::from(secs) * 1_000_000_000 + i128::from(nsec);
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

/// A host file's status as WASI's `$filestat`.
pub(crate) fn filestat(meta: &Metadata) -> Filestat {
    Filestat {
        dev: meta.dev(),
        ino: meta.ino(),
        filetype: filetype_of(meta.file_type()),
        nlink: meta.nlink(),
        size: meta.size(),
        atim: nanos(meta.atime(), meta.atime_nsec()),
        mtim: nanos(meta.mtime(), meta.mtime_nsec()),
        ctim: nanos(meta.ctime(), meta.ctime_nsec()),
    }
}

/// How to set one time, for `utimensat` / `futimens` (`None`: leave it).
pub(crate) fn time_spec(time: SetTime) -> Option<fs_set_times::SystemTimeSpec> {
    match time {
        SetTime::Unchanged => None,
        SetTime::Now => Some(fs_set_times::SystemTimeSpec::SymbolicNow),
        SetTime::At(ns) => Some(fs_set_times::SystemTimeSpec::Absolute(UNIX_EPOCH + Duration::from_nanos(ns))),
    }
}

fn cap_time_spec(time: SetTime) -> Option<cap_fs_ext::SystemTimeSpec> {
    time_spec(time).map(cap_fs_ext::SystemTimeSpec::from_std)
}

impl WasiDir for HostDir {
    /// As `openat(2)` with the flags of `options`, and, as wasmtime:
    /// `EINVAL` for `directory` with `create`, `exclusive` or `truncate`;
    /// `create` and `truncate` open for writing.
    ///
    /// `create` with a trailing slash is `EISDIR`, as Linux answers, on
    /// every host: `cap-std` resolves paths with `openat2` where the kernel
    /// has it (Linux 5.6 and later), and otherwise component by component,
    /// turning a trailing slash into `O_DIRECTORY`, which with `O_CREAT`
    /// the kernel refuses with `EINVAL` instead (seen under qemu-user).
    fn open(&self, path: &str, options: &OpenOptions) -> WasiResult<Opened> {
        if options.directory && (options.create || options.exclusive || options.truncate) {
            return Err(Errno::Inval);
        }
        if options.create && path.ends_with('/') {
            return Err(Errno::Isdir);
        }
        let write = options.write || options.create || options.truncate;
        if write {
            self.writable()?;
        }
        let mut opts = cap_std::fs::OpenOptions::new();
        opts.maybe_dir(true);
        opts.follow(if options.follow { FollowSymlinks::Yes } else { FollowSymlinks::No });
        if options.create && options.exclusive {
            opts.create_new(true);
        } else if options.create {
            opts.create(true);
        }
        opts.truncate(options.truncate);
        opts.write(write);
        opts.read(options.read || !write);
        if options.directory {
            opts.custom_flags(libc::O_DIRECTORY);
        }
        let file = self.dir.open_with(path, &opts).map_err(errno)?;
        let meta = file.metadata().map_err(errno)?;
        if meta.is_dir() {
            let dir = Dir::from_std_file(file.into_std());
            return Ok(Opened::Dir(Box::new(HostDir { dir, read_only: self.read_only })));
        }
        if options.directory {
            return Err(Errno::Notdir);
        }
        let file = HostFile::new(file.into_std(), filetype_of(meta.file_type()), self.read_only);
        Ok(Opened::File(Box::new(file)))
    }

    fn create_dir(&self, path: &str) -> WasiResult<()> {
        self.writable()?;
        self.dir.create_dir(path).map_err(errno)
    }

    fn remove_dir(&self, path: &str) -> WasiResult<()> {
        self.writable()?;
        self.dir.remove_dir(path).map_err(errno)
    }

    fn unlink_file(&self, path: &str) -> WasiResult<()> {
        self.writable()?;
        self.dir.remove_file_or_symlink(path).map_err(errno)
    }

    /// The target as stored; `EPERM` for an absolute one (`cap-std` does
    /// not reveal host paths, nor does wasmtime), `EILSEQ` if it is not
    /// UTF-8.
    fn read_link(&self, path: &str) -> WasiResult<String> {
        let target = self.dir.read_link(path).map_err(errno)?;
        target.into_os_string().into_string().map_err(|_| Errno::Ilseq)
    }

    /// `EPERM` for an absolute `target` (as `cap-std` and wasmtime: a link
    /// that leads out of the sandbox could mislead host programs).
    fn symlink(&self, target: &str, path: &str) -> WasiResult<()> {
        self.writable()?;
        self.dir.symlink(target, path).map_err(errno)
    }

    /// `EINVAL` with `follow`, as wasmtime (`cap-std` links the symlink
    /// itself, as `linkat(2)` without `AT_SYMLINK_FOLLOW`, and has no
    /// sandboxed way to follow it).
    fn link(&self, old: &str, follow: bool, new_dir: &dyn WasiDir, new: &str) -> WasiResult<()> {
        let new_dir = self.writable_peer(new_dir)?;
        if follow {
            return Err(Errno::Inval);
        }
        self.dir.hard_link(old, &new_dir.dir, new).map_err(errno)
    }

    fn rename(&self, old: &str, new_dir: &dyn WasiDir, new: &str) -> WasiResult<()> {
        let new_dir = self.writable_peer(new_dir)?;
        self.dir.rename(old, &new_dir.dir, new).map_err(errno)
    }

    fn stat_at(&self, path: &str, follow: bool) -> WasiResult<Filestat> {
        let meta = if follow { self.dir.metadata(path) } else { self.dir.symlink_metadata(path) };
        Ok(filestat(&meta.map_err(errno)?))
    }

    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> WasiResult<()> {
        self.writable()?;
        let (atim, mtim) = (cap_time_spec(atim), cap_time_spec(mtim));
        let set = if follow {
            DirExt::set_times(&self.dir, path, atim, mtim)
        } else {
            self.dir.set_symlink_times(path, atim, mtim)
        };
        set.map_err(errno)
    }

    fn stat(&self) -> WasiResult<Filestat> {
        Ok(filestat(&self.dir.dir_metadata().map_err(errno)?))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> WasiResult<()> {
        self.writable()?;
        // By path: a preopened directory's fd may be an `O_PATH` one, which
        // `futimens` refuses (`EBADF`).
        DirExt::set_times(&self.dir, ".", cap_time_spec(atim), cap_time_spec(mtim)).map_err(errno)
    }

    /// `.` and `..` (both with this directory's inode, as wasmtime: what is
    /// above the directory is none of the guest's business), then the
    /// entries sorted by name, so that cookies (positions in this list)
    /// stay valid between calls. `EILSEQ` if a name is not UTF-8, as
    /// wasmtime.
    fn read_dir(&self) -> WasiResult<Vec<DirEntry>> {
        let ino = self.dir.dir_metadata().map_err(errno)?.ino();
        let dot = |name: &str| DirEntry { name: name.to_string(), filetype: filetype::DIRECTORY, ino };
        let mut entries = Vec::new();
        for entry in self.dir.entries().map_err(errno)? {
            let entry = entry.map_err(errno)?;
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                // Removed since it was listed.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(errno(e)),
            };
            let name = entry.file_name().into_string().map_err(|_| Errno::Ilseq)?;
            entries.push(DirEntry { name, filetype: filetype_of(meta.file_type()), ino: meta.ino() });
        }
        entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let mut all = vec![dot("."), dot("..")];
        all.append(&mut entries);
        Ok(all)
    }

    fn sync(&self) -> WasiResult<()> {
        // Through a new fd: a preopened directory's may be an `O_PATH` one,
        // which `fsync` refuses (`EBADF`).
        self.dir.open(".").and_then(|dir| dir.sync_all()).map_err(errno)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
