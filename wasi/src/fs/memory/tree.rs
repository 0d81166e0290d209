//! The inode table of an in-memory file system: directories, regular files
//! and symlinks, with link counts, times, and the byte budget.
//!
//! Invariants, kept by every function here:
//! - Every inode reachable from the root is in the table; an inode leaves
//!   the table when nothing names it (`links == 0`) and no open handle
//!   refers to it (`handles == 0`), and its data is then freed.
//! - A directory is named by exactly one entry of exactly one directory
//!   (its `parent`), except the root, which no entry names and whose
//!   `parent` is itself. Directories cannot be hard-linked.
//! - `used` is what the table holds, in bytes, never more than `limit`:
//!   the data of every regular file and the target of every symlink in the
//!   table (unlinked files still open count), and for every directory
//!   entry its name plus [`ENTRY_COST`]. So a program cannot make the host
//!   allocate without bound, with data or with names; each change checks
//!   the budget before it allocates (`ENOSPC` beyond, as a full disk).

use crate::abi::filetype;
use crate::errno::{Errno, WasiResult};
use crate::fs::{DirEntry, Filestat, SetTime};
use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a directory entry costs besides its name's bytes: about what the
/// host holds for it (its map slot and inode).
pub const ENTRY_COST: u64 = 64;

fn entry_cost(name: &str) -> u64 {
    ENTRY_COST + name.len() as u64
}

/// An inode number.
pub(super) type Ino = u64;

/// The root directory's inode number.
pub(super) const ROOT: Ino = 1;

/// The largest offset a file may reach, as Linux: offsets are `off_t`, so
/// an offset or size above `i64::MAX` is `EINVAL`.
pub(super) const MAX_OFFSET: u64 = i64::MAX as u64;

/// What an inode holds.
pub(super) enum Data {
    Dir {
        /// Names (never empty, `.` or `..`, without `/`) to inodes.
        entries: BTreeMap<String, Ino>,
        /// The directory whose entry names this one (itself for the root
        /// and for a removed directory).
        parent: Ino,
    },
    File(Vec<u8>),
    /// The target, as given when the link was made.
    Symlink(String),
}

pub(super) struct Node {
    pub(super) data: Data,
    /// How many directory entries name this inode (0 or 1 for a
    /// directory: 1 while it is in the tree; the root always has 1).
    pub(super) links: u64,
    /// How many open handles ([`super::MemDir`], [`super::MemFile`])
    /// refer to it.
    pub(super) handles: u64,
    pub(super) atim: u64,
    pub(super) mtim: u64,
    pub(super) ctim: u64,
}

impl Node {
    pub(super) fn is_dir(&self) -> bool {
        matches!(self.data, Data::Dir { .. })
    }

    pub(super) fn filetype(&self) -> u8 {
        match self.data {
            Data::Dir { .. } => filetype::DIRECTORY,
            Data::File(_) => filetype::REGULAR_FILE,
            Data::Symlink(_) => filetype::SYMBOLIC_LINK,
        }
    }
}

/// Nanoseconds since the Unix epoch, now.
pub(super) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn pick(time: SetTime, old: u64, now: u64) -> u64 {
    match time {
        SetTime::Unchanged => old,
        SetTime::Now => now,
        SetTime::At(ns) => ns,
    }
}

/// The whole file system's state (behind [`super::MemFs`]'s mutex).
pub(super) struct Tree {
    nodes: HashMap<Ino, Node>,
    next_ino: Ino,
    /// Bytes held (see the invariants above).
    pub(super) used: u64,
    /// The most bytes the tree may hold (`ENOSPC` beyond).
    pub(super) limit: u64,
    /// Told apart from other trees' inodes in `Filestat::dev`.
    pub(super) dev: u64,
}

impl Tree {
    pub(super) fn new(limit: u64, dev: u64) -> Tree {
        let t = now();
        let root = Node {
            data: Data::Dir { entries: BTreeMap::new(), parent: ROOT },
            links: 1,
            handles: 0,
            atim: t,
            mtim: t,
            ctim: t,
        };
        Tree { nodes: HashMap::from([(ROOT, root)]), next_ino: ROOT + 1, used: 0, limit, dev }
    }

    /// The inode `ino`, which must be in the table (it is named by an
    /// entry or held by a handle).
    pub(super) fn node(&self, ino: Ino) -> &Node {
        self.nodes.get(&ino).expect("an inode named by an entry or held by a handle is in the table")
    }

    pub(super) fn node_mut(&mut self, ino: Ino) -> &mut Node {
        self.nodes.get_mut(&ino).expect("an inode named by an entry or held by a handle is in the table")
    }

    /// The entries of directory `dir` (`ENOTDIR` if it is not one).
    pub(super) fn entries(&self, dir: Ino) -> WasiResult<&BTreeMap<String, Ino>> {
        match &self.node(dir).data {
            Data::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::Notdir),
        }
    }

    /// What `name` names in directory `dir`, if anything.
    pub(super) fn lookup(&self, dir: Ino, name: &str) -> WasiResult<Option<Ino>> {
        Ok(self.entries(dir)?.get(name).copied())
    }

    /// The parent of directory `dir` (itself for the root).
    pub(super) fn parent(&self, dir: Ino) -> Ino {
        match self.node(dir).data {
            Data::Dir { parent, .. } => parent,
            _ => dir,
        }
    }

    /// Whether directory `dir` was removed (nothing can be made in it).
    pub(super) fn removed(&self, dir: Ino) -> bool {
        self.node(dir).links == 0
    }

    /// Whether `ancestor` is `dir` or one of the directories above it.
    pub(super) fn is_ancestor(&self, ancestor: Ino, mut dir: Ino) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            let up = self.parent(dir);
            if up == dir {
                return false;
            }
            dir = up;
        }
    }

    pub(super) fn stat(&self, ino: Ino) -> Filestat {
        let node = self.node(ino);
        let (size, nlink) = match &node.data {
            // As Linux: a directory's entry in its parent, its own `.`,
            // and each subdirectory's `..`.
            Data::Dir { entries, .. } if node.links > 0 => {
                let subdirs = entries.values().filter(|e| self.node(**e).is_dir()).count() as u64;
                (entries.len() as u64, 2 + subdirs)
            }
            Data::Dir { .. } => (0, 0),
            Data::File(bytes) => (bytes.len() as u64, node.links),
            Data::Symlink(target) => (target.len() as u64, node.links),
        };
        Filestat {
            dev: self.dev,
            ino,
            filetype: node.filetype(),
            nlink,
            size,
            atim: node.atim,
            mtim: node.mtim,
            ctim: node.ctim,
        }
    }

    pub(super) fn set_times(&mut self, ino: Ino, atim: SetTime, mtim: SetTime) {
        let t = now();
        let node = self.node_mut(ino);
        node.atim = pick(atim, node.atim, t);
        node.mtim = pick(mtim, node.mtim, t);
        node.ctim = t;
    }

    /// `.`, `..`, then the entries of directory `dir` by name (none once
    /// it is removed: it is empty).
    pub(super) fn read_dir(&self, dir: Ino) -> WasiResult<Vec<DirEntry>> {
        let entries = self.entries(dir)?;
        let mut list = Vec::with_capacity(entries.len() + 2);
        list.push(DirEntry { name: ".".into(), filetype: filetype::DIRECTORY, ino: dir });
        list.push(DirEntry { name: "..".into(), filetype: filetype::DIRECTORY, ino: self.parent(dir) });
        for (name, ino) in entries {
            list.push(DirEntry { name: name.clone(), filetype: self.node(*ino).filetype(), ino: *ino });
        }
        Ok(list)
    }

    /// A new inode holding `data`, named by nothing yet.
    fn alloc(&mut self, data: Data) -> Ino {
        let ino = self.next_ino;
        self.next_ino += 1;
        let t = now();
        self.nodes.insert(ino, Node { data, links: 0, handles: 0, atim: t, mtim: t, ctim: t });
        ino
    }

    /// Makes `name` in directory `dir` name `ino` (the caller checked that
    /// `name` is free and `dir` is a live directory). `ENOSPC` if the entry
    /// does not fit in the budget.
    pub(super) fn attach(&mut self, dir: Ino, name: &str, ino: Ino) -> WasiResult<()> {
        self.room(entry_cost(name))?;
        self.used += entry_cost(name);
        let t = now();
        if let Data::Dir { parent, .. } = &mut self.node_mut(ino).data {
            *parent = dir;
        }
        let node = self.node_mut(ino);
        node.links += 1;
        node.ctim = t;
        let parent = self.node_mut(dir);
        if let Data::Dir { entries, .. } = &mut parent.data {
            entries.insert(name.to_owned(), ino);
        }
        parent.mtim = t;
        parent.ctim = t;
        Ok(())
    }

    /// Removes entry `name` from directory `dir` and returns what it named
    /// (which leaves the table if nothing else holds it). A directory must
    /// be empty (the caller checked).
    pub(super) fn detach(&mut self, dir: Ino, name: &str) -> Option<Ino> {
        let t = now();
        let parent = self.node_mut(dir);
        let Data::Dir { entries, .. } = &mut parent.data else { return None };
        let ino = entries.remove(name)?;
        parent.mtim = t;
        parent.ctim = t;
        self.used -= entry_cost(name);
        let node = self.node_mut(ino);
        node.links -= 1;
        node.ctim = t;
        if let Data::Dir { parent, .. } = &mut node.data {
            *parent = ino;
        }
        self.collect(ino);
        Some(ino)
    }

    /// Moves entry `from_name` of directory `from` to `to_name` in `to`
    /// (the caller freed `to_name` and checked that a directory does not
    /// move into itself). `ENOSPC` if a longer name does not fit in the
    /// budget.
    pub(super) fn move_entry(&mut self, from: Ino, from_name: &str, to: Ino, to_name: &str) -> WasiResult<()> {
        self.room(entry_cost(to_name).saturating_sub(entry_cost(from_name)))?;
        self.used = self.used - entry_cost(from_name) + entry_cost(to_name);
        let t = now();
        let old = self.node_mut(from);
        let Data::Dir { entries, .. } = &mut old.data else { return Err(Errno::Notdir) };
        let Some(ino) = entries.remove(from_name) else { return Err(Errno::Noent) };
        old.mtim = t;
        old.ctim = t;
        let node = self.node_mut(ino);
        node.ctim = t;
        if let Data::Dir { parent, .. } = &mut node.data {
            *parent = to;
        }
        let new = self.node_mut(to);
        if let Data::Dir { entries, .. } = &mut new.data {
            entries.insert(to_name.to_owned(), ino);
        }
        new.mtim = t;
        new.ctim = t;
        Ok(())
    }

    /// Frees `ino` if nothing names or holds it.
    pub(super) fn collect(&mut self, ino: Ino) {
        let node = self.node(ino);
        if node.links == 0 && node.handles == 0 {
            match self.nodes.remove(&ino) {
                Some(Node { data: Data::File(bytes), .. }) => self.used -= bytes.len() as u64,
                Some(Node { data: Data::Symlink(target), .. }) => self.used -= target.len() as u64,
                _ => {}
            }
        }
    }

    /// Makes `name` in `dir` name a new inode holding `data` (`ENOSPC` if
    /// it does not fit; the caller checked that `name` is free).
    fn make(&mut self, dir: Ino, name: &str, data: Data) -> WasiResult<Ino> {
        let extra = match &data {
            Data::Symlink(target) => target.len() as u64,
            Data::File(bytes) => bytes.len() as u64,
            Data::Dir { .. } => 0,
        };
        self.room(entry_cost(name) + extra)?;
        self.used += extra;
        let ino = self.alloc(data);
        self.attach(dir, name, ino)?;
        Ok(ino)
    }

    /// Makes a new empty directory `name` in `dir`.
    pub(super) fn make_dir(&mut self, dir: Ino, name: &str) -> WasiResult<Ino> {
        self.make(dir, name, Data::Dir { entries: BTreeMap::new(), parent: dir })
    }

    /// Makes a new regular file `name` in `dir`, holding `bytes`.
    pub(super) fn make_file(&mut self, dir: Ino, name: &str, bytes: Vec<u8>) -> WasiResult<Ino> {
        self.make(dir, name, Data::File(bytes))
    }

    /// Makes a new symlink `name` in `dir`, to `target`.
    pub(super) fn make_symlink(&mut self, dir: Ino, name: &str, target: &str) -> WasiResult<Ino> {
        self.make(dir, name, Data::Symlink(target.to_owned()))
    }

    /// The bytes of regular file `ino`.
    pub(super) fn bytes(&self, ino: Ino) -> &[u8] {
        match &self.node(ino).data {
            Data::File(bytes) => bytes,
            _ => &[],
        }
    }

    /// Room for `more` bytes, or `ENOSPC`.
    pub(super) fn room(&self, more: u64) -> WasiResult<()> {
        match self.used.checked_add(more) {
            Some(total) if total <= self.limit => Ok(()),
            _ => Err(Errno::Nospc),
        }
    }

    /// Makes regular file `ino` `size` bytes long (zeros at the end when it
    /// grows). Checks the budget before allocating anything.
    pub(super) fn resize(&mut self, ino: Ino, size: u64) -> WasiResult<()> {
        if size > MAX_OFFSET {
            return Err(Errno::Inval);
        }
        let old = self.bytes(ino).len() as u64;
        if size > old {
            self.room(size - old)?;
        }
        let new_len = usize::try_from(size).map_err(|_| Errno::Fbig)?;
        let t = now();
        let node = self.node_mut(ino);
        let Data::File(bytes) = &mut node.data else { return Err(Errno::Inval) };
        if new_len > bytes.len() {
            bytes.try_reserve(new_len - bytes.len()).map_err(|_| Errno::Nomem)?;
            bytes.resize(new_len, 0);
        } else {
            bytes.truncate(new_len);
            if bytes.capacity() / 2 > new_len {
                bytes.shrink_to_fit();
            }
        }
        node.mtim = t;
        node.ctim = t;
        self.used = self.used - old + size;
        Ok(())
    }

    /// Writes `data` into regular file `ino` at `offset`, zero-filling any
    /// gap. When the budget is short, writes as much as fits (as a full
    /// disk: the next write gets `ENOSPC`); returns the bytes written.
    pub(super) fn write(&mut self, ino: Ino, data: &[u8], offset: u64) -> WasiResult<usize> {
        if offset > MAX_OFFSET {
            return Err(Errno::Inval);
        }
        let old = self.bytes(ino).len() as u64;
        let room = old + (self.limit - self.used);
        let end = offset.saturating_add(data.len() as u64).min(MAX_OFFSET).min(room);
        if end <= offset {
            return if data.is_empty() {
                Ok(0)
            } else if offset + 1 > MAX_OFFSET {
                Err(Errno::Fbig)
            } else {
                Err(Errno::Nospc)
            };
        }
        if end > old {
            self.resize(ino, end)?;
        }
        let n = (end - offset) as usize;
        let t = now();
        let node = self.node_mut(ino);
        if let Data::File(bytes) = &mut node.data {
            let at = offset as usize;
            bytes[at..at + n].copy_from_slice(&data[..n]);
        }
        node.mtim = t;
        node.ctim = t;
        Ok(n)
    }

    /// Replaces the data of regular file `ino` with `bytes` (`ENOSPC` if
    /// they do not fit).
    pub(super) fn set_bytes(&mut self, ino: Ino, bytes: Vec<u8>) -> WasiResult<()> {
        let old = self.bytes(ino).len() as u64;
        let new = bytes.len() as u64;
        self.room(new.saturating_sub(old))?;
        let t = now();
        let node = self.node_mut(ino);
        if let Data::File(data) = &mut node.data {
            *data = bytes;
        }
        node.mtim = t;
        node.ctim = t;
        self.used = self.used - old + new;
        Ok(())
    }

    /// Every regular file under the root, with its path from the root
    /// (`/a/b`), in no particular order. Iterative: a program can nest
    /// directories deeper than the host's stack would recurse.
    pub(super) fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut dirs = vec![(ROOT, String::new())];
        while let Some((dir, prefix)) = dirs.pop() {
            let Ok(entries) = self.entries(dir) else { continue };
            for (name, ino) in entries {
                let path = format!("{prefix}/{name}");
                match &self.node(*ino).data {
                    Data::File(bytes) => out.push((path, bytes.clone())),
                    Data::Dir { .. } => dirs.push((*ino, path)),
                    Data::Symlink(_) => {}
                }
            }
        }
        out
    }

    /// Removes entry `name` of `dir` and, if it is a directory, everything
    /// under it (iteratively, as [`Tree::files`]).
    pub(super) fn remove_tree(&mut self, dir: Ino, name: &str) {
        let mut pending = vec![(dir, name.to_owned())];
        while let Some((dir, name)) = pending.last().cloned() {
            let Ok(Some(ino)) = self.lookup(dir, &name) else {
                pending.pop();
                continue;
            };
            match self.entries(ino) {
                Ok(entries) if !entries.is_empty() => {
                    pending.extend(entries.keys().map(|child| (ino, child.clone())));
                }
                _ => {
                    self.detach(dir, &name);
                    pending.pop();
                }
            }
        }
    }
}
