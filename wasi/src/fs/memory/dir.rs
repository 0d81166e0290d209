//! [`MemDir`]: a directory of a [`MemFs`] as a [`WasiDir`], the root of the
//! paths resolved in it (see [`super::resolve`]).
//!
//! Each operation's errors are those wasmtime gives for a host directory on
//! Linux (checked with the `errno_probe` test program, whose output under
//! wasmtime is recorded in `tests/programs/`). Where cap-std, which wasmtime
//! resolves paths with, differs from Linux itself, we follow cap-std:
//! - a path that ends with a slash names the directory itself as `.` in it
//!   for `remove_dir` (`EINVAL`, where Linux removes the directory) and
//!   `read_link` (`EINVAL`);
//! - `remove_dir` of a path ending in `..` is `EINVAL` (Linux:
//!   `ENOTEMPTY`);
//! - a symlink whose target starts with `/` cannot be made (`EPERM`), and
//!   `read_link` of one (the embedder can make them) is `EPERM`;
//! - `link` with `follow` is `EINVAL` (wasmtime refuses it).
//!
//! As both Linux and wasmtime do, `open` with `create` follows a dangling
//! symlink in the last component (unless `follow` is off: `ELOOP`) and
//! makes the file it points to; with `exclusive` it is `EEXIST`.
//!
//! A read-only view refuses every change with `EPERM` before looking at the
//! path, as wasmtime does for a preopen without `DirPerms::MUTATE`.

use super::resolve::{can_make_in, parent, resolve, Cursor, Last, PATH_MAX};
use super::tree::{Data, Ino, Tree};
use super::{MemFile, MemFs};
use crate::errno::{Errno, WasiResult};
use crate::fs::{DirEntry, Filestat, OpenOptions, Opened, SetTime, WasiDir};
use std::any::Any;

/// A directory of a [`MemFs`]: the file system's root ([`MemFs::root`],
/// [`MemFs::read_only`]) or one a program opened. It keeps its inode alive
/// after the directory is removed (then nothing can be made in it).
pub struct MemDir {
    fs: MemFs,
    ino: Ino,
    /// Whether every change through it (and what is opened from it) is
    /// refused.
    read_only: bool,
}

impl MemDir {
    /// A handle on directory `ino` of `tree` (the locked state of `fs`).
    pub(super) fn new(fs: &MemFs, tree: &mut Tree, ino: Ino, read_only: bool) -> MemDir {
        tree.node_mut(ino).handles += 1;
        MemDir { fs: fs.clone(), ino, read_only }
    }

    fn writable(&self) -> WasiResult<()> {
        if self.read_only {
            Err(Errno::Perm)
        } else {
            Ok(())
        }
    }

    fn cursor(&self) -> Cursor {
        Cursor::new(self.ino)
    }

    /// `other` as a directory of the same file system (`EXDEV` otherwise).
    fn same_fs<'d>(&self, other: &'d dyn WasiDir) -> WasiResult<&'d MemDir> {
        match other.as_any().downcast_ref::<MemDir>() {
            Some(dir) if self.fs.same(&dir.fs) => Ok(dir),
            _ => Err(Errno::Xdev),
        }
    }

    /// What `open` with `create` opens: an existing entry, or a new empty
    /// file. Follows a symlink in the last component if `follow`, making
    /// the file it points to if there is none (as Linux and wasmtime).
    fn open_or_create(&self, tree: &mut Tree, cur: &mut Cursor, path: &str, o: &OpenOptions) -> WasiResult<Ino> {
        let (last, slash) = parent(tree, cur, path)?;
        let name = match last {
            Last::Dot => return Err(if o.exclusive { Errno::Exist } else { Errno::Isdir }),
            Last::DotDot => {
                cur.up()?;
                return Err(if o.exclusive { Errno::Exist } else { Errno::Isdir });
            }
            // As Linux: `O_CREAT` on a path ending with a slash, before
            // looking at what is there.
            Last::Name(_) if slash => return Err(Errno::Isdir),
            Last::Name(name) => name,
        };
        match tree.lookup(cur.dir(), name)? {
            Some(_) if o.exclusive => Err(Errno::Exist),
            Some(ino) => match &tree.node(ino).data {
                Data::Symlink(target) if o.follow => {
                    cur.hop()?;
                    let target = target.clone();
                    self.open_or_create(tree, cur, &target, o)
                }
                Data::Symlink(_) => Err(Errno::Loop),
                Data::Dir { .. } => Err(Errno::Isdir),
                Data::File(_) => Ok(ino),
            },
            None => {
                can_make_in(tree, cur.dir())?;
                tree.make_file(cur.dir(), name, Vec::new())
            }
        }
    }

    /// Resolves `path` again from the start, for a path that ends with a
    /// slash: the directory it names (following symlinks), or the error
    /// resolving it gives.
    fn named_dir(&self, tree: &Tree, path: &str) -> WasiResult<Ino> {
        resolve(tree, &mut self.cursor(), path, true)
    }

    /// The entry `path` names for removing, renaming or linking it: its
    /// directory, its name and its inode (symlinks in the last component
    /// not followed). `dots` is the error for a path ending in `.` or `..`.
    fn entry<'p>(&self, tree: &Tree, cur: &mut Cursor, path: &'p str, dots: Errno) -> WasiResult<(&'p str, Ino)> {
        let (last, _) = parent(tree, cur, path)?;
        match last {
            Last::Dot => Err(dots),
            Last::DotDot => {
                cur.up()?;
                Err(dots)
            }
            Last::Name(name) => Ok((name, tree.lookup(cur.dir(), name)?.ok_or(Errno::Noent)?)),
        }
    }

    /// Where `path` would make a new entry (a trailing slash is not looked
    /// at: the callers that refuse one check it first): `cur` ends in its
    /// directory; returns its name. `EEXIST` if something is there
    /// already.
    fn free_name<'p>(&self, tree: &Tree, cur: &mut Cursor, path: &'p str) -> WasiResult<&'p str> {
        let (last, _) = parent(tree, cur, path)?;
        let name = match last {
            Last::Dot => return Err(Errno::Exist),
            Last::DotDot => {
                cur.up()?;
                return Err(Errno::Exist);
            }
            Last::Name(name) => name,
        };
        if tree.lookup(cur.dir(), name)?.is_some() {
            return Err(Errno::Exist);
        }
        can_make_in(tree, cur.dir())?;
        Ok(name)
    }
}

impl Drop for MemDir {
    fn drop(&mut self) {
        let mut tree = self.fs.lock();
        tree.node_mut(self.ino).handles -= 1;
        tree.collect(self.ino);
    }
}

impl WasiDir for MemDir {
    fn open(&self, path: &str, o: &OpenOptions) -> WasiResult<Opened> {
        if self.read_only && (o.create || o.truncate || o.write) {
            return Err(Errno::Perm);
        }
        if o.directory && (o.create || o.exclusive || o.truncate) {
            // As wasmtime (and Linux since 6.4 for `O_CREAT|O_DIRECTORY`).
            return Err(Errno::Inval);
        }
        let mut tree = self.fs.lock();
        let mut cur = self.cursor();
        let ino = if o.create {
            self.open_or_create(&mut tree, &mut cur, path, o)?
        } else {
            resolve(&tree, &mut cur, path, o.follow)?
        };
        match tree.node(ino).data {
            // Only a last component not followed is still a symlink.
            Data::Symlink(_) => Err(Errno::Loop),
            Data::Dir { .. } if o.write || o.truncate => Err(Errno::Isdir),
            Data::Dir { .. } => Ok(Opened::Dir(Box::new(MemDir::new(&self.fs, &mut tree, ino, self.read_only)))),
            Data::File(_) if o.directory => Err(Errno::Notdir),
            Data::File(_) => {
                if o.truncate {
                    tree.resize(ino, 0)?;
                }
                Ok(Opened::File(Box::new(MemFile::new(&self.fs, &mut tree, ino, self.read_only))))
            }
        }
    }

    fn create_dir(&self, path: &str) -> WasiResult<()> {
        self.writable()?;
        let mut tree = self.fs.lock();
        let mut cur = self.cursor();
        // A trailing slash is allowed here, as Linux's `mkdir`.
        let name = self.free_name(&tree, &mut cur, path)?;
        tree.make_dir(cur.dir(), name)?;
        Ok(())
    }

    fn remove_dir(&self, path: &str) -> WasiResult<()> {
        self.writable()?;
        let mut tree = self.fs.lock();
        if path.ends_with('/') {
            self.named_dir(&tree, path)?;
            return Err(Errno::Inval);
        }
        let mut cur = self.cursor();
        let (name, ino) = self.entry(&tree, &mut cur, path, Errno::Inval)?;
        match &tree.node(ino).data {
            Data::Dir { entries, .. } if !entries.is_empty() => Err(Errno::Notempty),
            Data::Dir { .. } => {
                tree.detach(cur.dir(), name);
                Ok(())
            }
            _ => Err(Errno::Notdir),
        }
    }

    fn unlink_file(&self, path: &str) -> WasiResult<()> {
        self.writable()?;
        let mut tree = self.fs.lock();
        if path.ends_with('/') {
            // Only a directory can be named so (else `ENOTDIR`).
            self.named_dir(&tree, path)?;
            return Err(Errno::Isdir);
        }
        let mut cur = self.cursor();
        let (name, ino) = self.entry(&tree, &mut cur, path, Errno::Isdir)?;
        if tree.node(ino).is_dir() {
            return Err(Errno::Isdir);
        }
        tree.detach(cur.dir(), name);
        Ok(())
    }

    fn read_link(&self, path: &str) -> WasiResult<String> {
        let tree = self.fs.lock();
        if path.ends_with('/') {
            self.named_dir(&tree, path)?;
            return Err(Errno::Inval);
        }
        let (_, ino) = self.entry(&tree, &mut self.cursor(), path, Errno::Inval)?;
        match &tree.node(ino).data {
            Data::Symlink(target) if target.starts_with('/') => Err(Errno::Perm),
            Data::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::Inval),
        }
    }

    fn symlink(&self, target: &str, path: &str) -> WasiResult<()> {
        self.writable()?;
        if target.is_empty() {
            return Err(Errno::Noent);
        }
        if target.starts_with('/') {
            return Err(Errno::Perm);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::Nametoolong);
        }
        let mut tree = self.fs.lock();
        let mut cur = self.cursor();
        if path.ends_with('/') {
            // As cap-std: the path names a directory to make the entry `.`
            // in, which exists.
            self.named_dir(&tree, path)?;
            return Err(Errno::Exist);
        }
        let name = self.free_name(&tree, &mut cur, path)?;
        tree.make_symlink(cur.dir(), name, target)?;
        Ok(())
    }

    fn link(&self, old: &str, follow: bool, new_dir: &dyn WasiDir, new: &str) -> WasiResult<()> {
        self.writable()?;
        let other = self.same_fs(new_dir)?;
        other.writable()?;
        if follow {
            return Err(Errno::Inval);
        }
        let mut tree = self.fs.lock();
        if old.ends_with('/') {
            // A directory (else `ENOTDIR`), which cannot be linked.
            self.named_dir(&tree, old)?;
            return Err(Errno::Perm);
        }
        let (_, ino) = self.entry(&tree, &mut self.cursor(), old, Errno::Perm)?;
        if tree.node(ino).is_dir() {
            return Err(Errno::Perm);
        }
        if new.ends_with('/') {
            other.named_dir(&tree, new)?;
            return Err(Errno::Exist);
        }
        let mut cur = other.cursor();
        let name = other.free_name(&tree, &mut cur, new)?;
        tree.attach(cur.dir(), name, ino)
    }

    fn rename(&self, old: &str, new_dir: &dyn WasiDir, new: &str) -> WasiResult<()> {
        self.writable()?;
        let other = self.same_fs(new_dir)?;
        other.writable()?;
        let mut tree = self.fs.lock();
        let mut from = self.cursor();
        let (old_name, ino) = self.entry(&tree, &mut from, old, Errno::Busy)?;
        let is_dir = tree.node(ino).is_dir();
        // A slash may end either path only if a directory moves.
        if old.ends_with('/') && !is_dir {
            return Err(Errno::Notdir);
        }
        let mut to = other.cursor();
        let (last, _) = parent(&tree, &mut to, new)?;
        let new_name = match last {
            Last::Dot => return Err(Errno::Busy),
            Last::DotDot => {
                to.up()?;
                return Err(Errno::Busy);
            }
            Last::Name(name) => name,
        };
        if new.ends_with('/') && !is_dir {
            return Err(Errno::Notdir);
        }
        let replaced = tree.lookup(to.dir(), new_name)?;
        if replaced == Some(ino) {
            // The same entry, or two hard links to one file: nothing to do.
            return Ok(());
        }
        if is_dir && tree.is_ancestor(ino, to.dir()) {
            return Err(Errno::Inval);
        }
        if let Some(target) = replaced {
            match (&tree.node(target).data, is_dir) {
                (Data::Dir { entries, .. }, true) if !entries.is_empty() => return Err(Errno::Notempty),
                (Data::Dir { .. }, true) => {}
                (Data::Dir { .. }, false) => return Err(Errno::Isdir),
                (_, true) => return Err(Errno::Notdir),
                (_, false) => {}
            }
            tree.detach(to.dir(), new_name);
        } else {
            can_make_in(&tree, to.dir())?;
        }
        tree.move_entry(from.dir(), old_name, to.dir(), new_name)
    }

    fn stat_at(&self, path: &str, follow: bool) -> WasiResult<Filestat> {
        let tree = self.fs.lock();
        let ino = resolve(&tree, &mut self.cursor(), path, follow)?;
        Ok(tree.stat(ino))
    }

    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> WasiResult<()> {
        self.writable()?;
        let mut tree = self.fs.lock();
        let ino = resolve(&tree, &mut self.cursor(), path, follow)?;
        tree.set_times(ino, atim, mtim);
        Ok(())
    }

    fn stat(&self) -> WasiResult<Filestat> {
        Ok(self.fs.lock().stat(self.ino))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> WasiResult<()> {
        self.writable()?;
        self.fs.lock().set_times(self.ino, atim, mtim);
        Ok(())
    }

    fn read_dir(&self) -> WasiResult<Vec<DirEntry>> {
        self.fs.lock().read_dir(self.ino)
    }

    fn sync(&self) -> WasiResult<()> {
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
