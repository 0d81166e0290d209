//! Path resolution inside a directory handle's subtree, as Linux resolves
//! paths and as cap-std (wasmtime's sandbox) confines them.
//!
//! - Components are split on `/`; empty components (`a//b`) are skipped;
//!   `.` stays; `..` goes to the directory above, the physical one (after
//!   `dl/..` with `dl -> d`, the directory above `d`).
//! - The handle's own directory is the root: `..` may not climb above it,
//!   and a path that starts with `/`, or a symlink whose target does, is
//!   refused. cap-std reports both as an escape (`PermissionDenied`), which
//!   wasmtime turns into `EPERM` (its host errors map `NotPermitted` to
//!   `Errno::Perm`); so do we.
//! - Symlinks are followed in every component but the last, and in the last
//!   when asked (or when a slash ends the path). A target is resolved from
//!   the directory holding the link. More than [`MAX_HOPS`] symlinks in one
//!   resolution is `ELOOP`, as Linux's `MAXSYMLINKS`.
//! - An empty path (or symlink target) is `ENOENT`; a component longer than
//!   [`NAME_MAX`] bytes or a path of [`PATH_MAX`] bytes or more is
//!   `ENAMETOOLONG`, as Linux.

use super::tree::{Data, Ino, Tree};
use crate::errno::{Errno, WasiResult};

/// The most symlinks one resolution follows (Linux's `MAXSYMLINKS`).
pub(super) const MAX_HOPS: u32 = 40;

/// The longest name (Linux's `NAME_MAX`).
pub(super) const NAME_MAX: usize = 255;

/// Paths and symlink targets must be shorter (Linux's `PATH_MAX`).
pub(super) const PATH_MAX: usize = 4096;

/// Where a resolution stands: the directories from the base (the handle's
/// own directory, which `..` cannot leave) down to the current one, and
/// how many symlinks it followed so far.
///
/// Invariant: `stack` is never empty, and each directory in it is the
/// `parent` of the next (it was entered through an entry of the one
/// before).
pub(super) struct Cursor {
    stack: Vec<Ino>,
    hops: u32,
}

impl Cursor {
    pub(super) fn new(base: Ino) -> Cursor {
        Cursor { stack: vec![base], hops: 0 }
    }

    /// The current directory.
    pub(super) fn dir(&self) -> Ino {
        *self.stack.last().expect("a cursor's stack always holds its base")
    }

    /// Goes to the directory above (`EPERM` above the base).
    pub(super) fn up(&mut self) -> WasiResult<()> {
        if self.stack.len() == 1 {
            return Err(Errno::Perm);
        }
        self.stack.pop();
        Ok(())
    }

    /// Counts one more symlink followed (`ELOOP` past [`MAX_HOPS`]).
    pub(super) fn hop(&mut self) -> WasiResult<()> {
        self.hops += 1;
        if self.hops > MAX_HOPS {
            return Err(Errno::Loop);
        }
        Ok(())
    }
}

/// The last component of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Last<'p> {
    Dot,
    DotDot,
    Name(&'p str),
}

impl<'p> Last<'p> {
    fn of(component: &'p str) -> Last<'p> {
        match component {
            "." => Last::Dot,
            ".." => Last::DotDot,
            name => Last::Name(name),
        }
    }
}

/// `path`'s components but the last, the last, and whether a slash ends
/// it.
fn split(path: &str) -> WasiResult<(Vec<&str>, Last<'_>, bool)> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.starts_with('/') {
        return Err(Errno::Perm);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::Nametoolong);
    }
    let mut components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if components.iter().any(|c| c.len() > NAME_MAX) {
        return Err(Errno::Nametoolong);
    }
    let last = components.pop().expect("a non-empty path that does not start with `/` has a component");
    Ok((components, Last::of(last), path.ends_with('/')))
}

/// Moves `cur` into the directory that component `c` names from the
/// current one, following a symlink there.
pub(super) fn step_into(tree: &Tree, cur: &mut Cursor, c: &str) -> WasiResult<()> {
    match Last::of(c) {
        Last::Dot => Ok(()),
        Last::DotDot => cur.up(),
        Last::Name(name) => {
            let ino = tree.lookup(cur.dir(), name)?.ok_or(Errno::Noent)?;
            match &tree.node(ino).data {
                Data::Dir { .. } => {
                    cur.stack.push(ino);
                    Ok(())
                }
                Data::File(_) => Err(Errno::Notdir),
                Data::Symlink(target) => {
                    cur.hop()?;
                    let target = target.clone();
                    let (last, _) = parent(tree, cur, &target)?;
                    match last {
                        Last::Dot => Ok(()),
                        Last::DotDot => cur.up(),
                        Last::Name(name) => step_into(tree, cur, name),
                    }
                }
            }
        }
    }
}

/// Resolves every component of `path` but the last (following symlinks)
/// and leaves `cur` in the directory that holds the last one; returns the
/// last component and whether a slash ended the path.
pub(super) fn parent<'p>(tree: &Tree, cur: &mut Cursor, path: &'p str) -> WasiResult<(Last<'p>, bool)> {
    let (components, last, slash) = split(path)?;
    for c in components {
        step_into(tree, cur, c)?;
    }
    Ok((last, slash))
}

/// Resolves `path` to an existing inode. Follows a symlink in the last
/// component if `follow` or a slash ends the path (which then must name a
/// directory: `ENOTDIR`). Leaves `cur` in the directory holding the entry
/// found (after following, the last link's target's), or at the result
/// itself for a path ending in `.` or `..`.
pub(super) fn resolve(tree: &Tree, cur: &mut Cursor, path: &str, follow: bool) -> WasiResult<Ino> {
    let (last, slash) = parent(tree, cur, path)?;
    let ino = match last {
        Last::Dot => cur.dir(),
        Last::DotDot => {
            cur.up()?;
            cur.dir()
        }
        Last::Name(name) => {
            let ino = tree.lookup(cur.dir(), name)?.ok_or(Errno::Noent)?;
            match &tree.node(ino).data {
                Data::Symlink(target) if follow || slash => {
                    cur.hop()?;
                    let target = target.clone();
                    resolve(tree, cur, &target, true)?
                }
                _ => ino,
            }
        }
    };
    if slash && !tree.node(ino).is_dir() {
        return Err(Errno::Notdir);
    }
    Ok(ino)
}

/// Whether an entry can be made in directory `dir`: not once it was
/// removed (`ENOENT`, as Linux).
pub(super) fn can_make_in(tree: &Tree, dir: Ino) -> WasiResult<()> {
    if tree.removed(dir) {
        return Err(Errno::Noent);
    }
    Ok(())
}
