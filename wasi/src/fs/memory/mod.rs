//! [`MemFs`]: an in-memory file system. The embedder fills it with files as
//! data, preopens it for a program ([`MemFs::root`] to
//! [`crate::WasiBuilder::preopen`]), and reads the files back after the run
//! ([`MemFs::read_file`], [`MemFs::files`]).
//!
//! ```
//! use wasmbeam_wasi::fs::memory::MemFs;
//! use wasmbeam_wasi::WasiBuilder;
//!
//! let fs = MemFs::new();
//! fs.insert_file("in/data.txt", b"hello".to_vec()).unwrap();
//! let wasi = WasiBuilder::new().preopen(fs.root(), "/data").build();
//! // ... run the program with `wasi` ...
//! assert_eq!(fs.read_file("in/data.txt").unwrap(), b"hello");
//! # drop(wasi);
//! ```
//!
//! From the program's side it behaves as a host directory preopened in
//! wasmtime on Linux: the same path resolution (see [`resolve`]), POSIX
//! semantics for open files, and the same `errno` values (see [`dir`]).
//!
//! Limits. Everything the file system holds counts against one byte budget
//! ([`MemFs::with_capacity_limit`], [`DEFAULT_CAPACITY`] by default): file
//! data, symlink targets, and each directory entry's name plus
//! [`ENTRY_COST`] bytes. A change that does not fit fails with `ENOSPC`
//! before anything is allocated, so a program cannot make the host allocate
//! without bound (a write at a huge offset, `fd_filestat_set_size` to
//! `u64::MAX`, `fd_allocate`, millions of names). The host may hold up to
//! about twice the file data while files grow (vectors grow by doubling).
//! Offsets and sizes above `i64::MAX` are `EINVAL`, as on Linux.

mod dir;
mod file;
mod resolve;
mod tree;

#[cfg(test)]
mod tests;

pub use dir::MemDir;
pub use file::MemFile;
pub use tree::ENTRY_COST;

use crate::errno::{Errno, WasiResult};
use crate::fs::WasiDir;
use resolve::{resolve, step_into, Cursor, NAME_MAX, PATH_MAX};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tree::{Data, Ino, Tree, ROOT};

/// The default byte budget of a [`MemFs`]: 1 GiB. Generous for files as
/// Erlang binaries (a wasm32 program addresses at most 4 GiB, and files of
/// a gigabyte are not passed around as binaries), and bounded, so that one
/// program cannot exhaust the memory of the node it runs in.
pub const DEFAULT_CAPACITY: u64 = 1 << 30;

/// Device numbers, told apart per file system (`Filestat::dev`).
static NEXT_DEV: AtomicU64 = AtomicU64::new(1);

/// An in-memory file system of directories, regular files and symlinks.
/// Cheap to clone: clones share the same tree (the embedder keeps one, the
/// program's directories hold others).
#[derive(Clone)]
pub struct MemFs {
    tree: Arc<Mutex<Tree>>,
}

impl Default for MemFs {
    fn default() -> Self {
        MemFs::new()
    }
}

/// The names of an embedder's path: separated by `/`, a leading `/`
/// allowed (the same as none); `.` and `..` are refused (`EINVAL`).
fn names(path: &str) -> WasiResult<Vec<&str>> {
    let names: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if names.iter().any(|n| *n == "." || *n == "..") {
        return Err(Errno::Inval);
    }
    if names.iter().any(|n| n.len() > NAME_MAX) {
        return Err(Errno::Nametoolong);
    }
    Ok(names)
}

impl MemFs {
    /// An empty file system with the [`DEFAULT_CAPACITY`].
    pub fn new() -> MemFs {
        MemFs::with_capacity_limit(DEFAULT_CAPACITY)
    }

    /// An empty file system that holds at most `bytes` (see the module's
    /// documentation for what counts).
    pub fn with_capacity_limit(bytes: u64) -> MemFs {
        let dev = NEXT_DEV.fetch_add(1, Ordering::Relaxed);
        MemFs { tree: Arc::new(Mutex::new(Tree::new(bytes, dev))) }
    }

    /// The byte budget.
    pub fn capacity_limit(&self) -> u64 {
        self.lock().limit
    }

    /// The bytes held now, out of [`MemFs::capacity_limit`].
    pub fn usage(&self) -> u64 {
        self.lock().used
    }

    /// The tree. Only a broken invariant (a bug) can panic while it is
    /// held; the lock is taken anyway then, as `Wasi`'s is.
    fn lock(&self) -> MutexGuard<'_, Tree> {
        self.tree.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn same(&self, other: &MemFs) -> bool {
        Arc::ptr_eq(&self.tree, &other.tree)
    }

    /// Makes the missing directories of `path` but its last name (symlinks
    /// among them are followed, inside the tree); returns the directory
    /// that holds the last name, and the name (`EISDIR` for the root).
    fn parents<'p>(tree: &mut Tree, path: &'p str) -> WasiResult<(Ino, &'p str)> {
        let mut names = names(path)?;
        let last = names.pop().ok_or(Errno::Isdir)?;
        let mut cur = Cursor::new(ROOT);
        for name in names {
            if tree.lookup(cur.dir(), name)?.is_none() {
                tree.make_dir(cur.dir(), name)?;
            }
            step_into(tree, &mut cur, name)?;
        }
        Ok((cur.dir(), last))
    }

    /// Puts a regular file at `path` holding `bytes`, making missing
    /// directories, or replaces the data of the file there. `EISDIR` if a
    /// directory is there, `EEXIST` for a symlink, `ENOTDIR` if a file is
    /// where a directory should be, `ENOSPC` if it does not fit (the
    /// directories it made stay).
    pub fn insert_file(&self, path: &str, bytes: impl Into<Vec<u8>>) -> WasiResult<()> {
        let bytes = bytes.into();
        let mut tree = self.lock();
        let (dir, name) = MemFs::parents(&mut tree, path)?;
        match tree.lookup(dir, name)? {
            None => tree.make_file(dir, name, bytes).map(drop),
            Some(ino) => match tree.node(ino).data {
                Data::File(_) => tree.set_bytes(ino, bytes),
                Data::Dir { .. } => Err(Errno::Isdir),
                Data::Symlink(_) => Err(Errno::Exist),
            },
        }
    }

    /// Makes directory `path` and the missing ones above it (nothing if
    /// it exists; `EEXIST` if something else is there).
    pub fn insert_dir(&self, path: &str) -> WasiResult<()> {
        let mut tree = self.lock();
        let (dir, name) = match MemFs::parents(&mut tree, path) {
            Err(Errno::Isdir) => return Ok(()),
            other => other?,
        };
        match tree.lookup(dir, name)? {
            None => {
                tree.make_dir(dir, name)?;
                Ok(())
            }
            Some(_) => {
                let mut cur = Cursor::new(dir);
                match step_into(&tree, &mut cur, name) {
                    Ok(()) => Ok(()),
                    Err(Errno::Notdir) => Err(Errno::Exist),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Makes a symlink at `path` to `target` (stored as given), making
    /// missing directories. `EEXIST` if something is there. A target that
    /// starts with `/` can be stored, but programs cannot follow it or read
    /// it (`EPERM`), as a host symlink that leads outside a preopen.
    pub fn insert_symlink(&self, path: &str, target: &str) -> WasiResult<()> {
        if target.is_empty() {
            return Err(Errno::Noent);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::Nametoolong);
        }
        let mut tree = self.lock();
        let (dir, name) = MemFs::parents(&mut tree, path)?;
        if tree.lookup(dir, name)?.is_some() {
            return Err(Errno::Exist);
        }
        tree.make_symlink(dir, name, target)?;
        Ok(())
    }

    /// The data of the regular file at `path` (symlinks followed, inside
    /// the tree), if there is one.
    pub fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        let names = names(path).ok()?;
        let tree = self.lock();
        let ino = resolve(&tree, &mut Cursor::new(ROOT), &names.join("/"), true).ok()?;
        match &tree.node(ino).data {
            Data::File(bytes) => Some(bytes.clone()),
            _ => None,
        }
    }

    /// Every regular file with its path from the root (`/dir/name`, each
    /// hard link by its own path; symlinks left out), sorted by path.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = self.lock().files();
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        files
    }

    /// Removes what `path` names (a symlink itself, not what it points to),
    /// with everything under it if it is a directory. Open files and
    /// directories stay usable by the program until it closes them.
    /// `ENOENT` if nothing is there; the root cannot be removed (`EBUSY`).
    pub fn remove(&self, path: &str) -> WasiResult<()> {
        let mut names = names(path)?;
        let last = names.pop().ok_or(Errno::Busy)?;
        let mut tree = self.lock();
        let mut cur = Cursor::new(ROOT);
        for name in names {
            step_into(&tree, &mut cur, name)?;
        }
        if tree.lookup(cur.dir(), last)?.is_none() {
            return Err(Errno::Noent);
        }
        tree.remove_tree(cur.dir(), last);
        Ok(())
    }

    /// The root directory, to preopen for a program.
    pub fn root(&self) -> Box<dyn WasiDir> {
        Box::new(MemDir::new(self, &mut self.lock(), ROOT, false))
    }

    /// The same tree, read-only: every change through it, or through what
    /// is opened from it, is refused with `EPERM`, as wasmtime does for a
    /// preopen without `DirPerms::MUTATE` and `FilePerms::WRITE`
    /// (`wasmtime_wasi`'s `open_at`, `create_directory_at`, ... return
    /// `ErrorCode::NotPermitted`, which its preview1 layer gives as
    /// `Errno::Perm`). Changes the embedder or a writable view makes are
    /// seen through it.
    pub fn read_only(&self) -> Box<dyn WasiDir> {
        Box::new(MemDir::new(self, &mut self.lock(), ROOT, true))
    }
}
