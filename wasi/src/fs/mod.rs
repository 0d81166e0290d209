//! The file systems WASI programs see, behind two traits: [`WasiDir`] (a
//! directory, the root of every path a program names) and [`WasiFile`]
//! (an open file). Two implementations: host directories sandboxed with
//! `cap-std` ([`host`]), and an in-memory file system the embedder fills
//! with files as data and reads back ([`memory`]).
//!
//! Paths are relative to the directory they are resolved in and are
//! resolved by the implementation, which must keep them inside it: `..`
//! may not climb above it, an absolute path or a symlink to one is
//! refused (`EPERM`, as wasmtime: cap-std's escape error is
//! `PermissionDenied`, which wasmtime turns into `EPERM`), and a symlink is
//! followed only inside it. Errors are the `errno` values wasmtime gives on
//! Linux for the same operation.

pub mod host;
pub mod memory;

use crate::errno::WasiResult;
use std::any::Any;

/// What `fd_filestat_get` and `path_filestat_get` report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    /// An [`crate::abi::filetype`] value.
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// One directory entry, as `fd_readdir` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    /// An [`crate::abi::filetype`] value.
    pub filetype: u8,
    pub ino: u64,
}

/// How to set one of a file's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    Unchanged,
    Now,
    /// Nanoseconds since the Unix epoch.
    At(u64),
}

/// How `path_open` opens a path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Follow a symlink in the last component (else `ELOOP` on one).
    pub follow: bool,
    /// `O_CREAT`: create a regular file if nothing is there.
    pub create: bool,
    /// `O_EXCL`: with `create`, fail with `EEXIST` if something is there.
    pub exclusive: bool,
    /// `O_TRUNC`: truncate a regular file to 0 (needs `write`).
    pub truncate: bool,
    /// `O_DIRECTORY`: the path must be a directory (`ENOTDIR` otherwise).
    pub directory: bool,
    pub read: bool,
    pub write: bool,
}

/// What `path_open` opened.
pub enum Opened {
    File(Box<dyn WasiFile>),
    Dir(Box<dyn WasiDir>),
}

/// A directory of a sandboxed file system, and the root of the paths
/// resolved in it.
pub trait WasiDir: Send + Any {
    /// Opens `path` (see [`OpenOptions`]): a file, or a directory.
    fn open(&self, path: &str, options: &OpenOptions) -> WasiResult<Opened>;
    fn create_dir(&self, path: &str) -> WasiResult<()>;
    /// Removes an empty directory (`ENOTEMPTY`, `ENOTDIR` otherwise).
    fn remove_dir(&self, path: &str) -> WasiResult<()>;
    /// Removes anything but a directory (`EISDIR` for one, as wasmtime on
    /// Linux).
    fn unlink_file(&self, path: &str) -> WasiResult<()>;
    /// The target of the symlink at `path`.
    fn read_link(&self, path: &str) -> WasiResult<String>;
    /// Makes a symlink at `path` pointing to `target` (stored as given).
    fn symlink(&self, target: &str, path: &str) -> WasiResult<()>;
    /// Makes `new` (in `new_dir`, a directory of the same file system) a
    /// hard link to `old`, following a symlink at `old` if `follow`.
    /// `EXDEV` across file systems.
    fn link(&self, old: &str, follow: bool, new_dir: &dyn WasiDir, new: &str) -> WasiResult<()>;
    /// Renames `old` to `new` (in `new_dir`, a directory of the same file
    /// system; `EXDEV` otherwise), replacing a file, or an empty directory
    /// with a directory.
    fn rename(&self, old: &str, new_dir: &dyn WasiDir, new: &str) -> WasiResult<()>;
    fn stat_at(&self, path: &str, follow: bool) -> WasiResult<Filestat>;
    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> WasiResult<()>;
    /// This directory's own status.
    fn stat(&self) -> WasiResult<Filestat>;
    fn set_times(&self, atim: SetTime, mtim: SetTime) -> WasiResult<()>;
    /// Every entry, `.` and `..` included, in a stable order.
    fn read_dir(&self) -> WasiResult<Vec<DirEntry>>;
    fn sync(&self) -> WasiResult<()>;
    /// For `link` and `rename` across two directories: the other one, as
    /// this implementation's type.
    fn as_any(&self) -> &dyn Any;
}

/// An open regular file (or other non-directory) of a sandboxed file
/// system. Positions are kept by the file descriptor, not here.
pub trait WasiFile: Send {
    /// Reads at `offset`; returns the bytes read (0 at or past the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> WasiResult<usize>;
    /// Writes at `offset`, extending the file if needed.
    fn write_at(&self, data: &[u8], offset: u64) -> WasiResult<usize>;
    fn stat(&self) -> WasiResult<Filestat>;
    fn set_len(&self, size: u64) -> WasiResult<()>;
    fn set_times(&self, atim: SetTime, mtim: SetTime) -> WasiResult<()>;
    fn sync(&self) -> WasiResult<()>;
    fn datasync(&self) -> WasiResult<()>;
    /// `fd_allocate`: make sure `offset..offset+len` is allocated.
    fn allocate(&self, offset: u64, len: u64) -> WasiResult<()>;
    /// The file's filetype ([`crate::abi::filetype`]).
    fn filetype(&self) -> u8;
}
