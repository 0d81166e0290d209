//! The file descriptor table: what each WASI fd refers to, with its flags
//! and rights. Fds 0, 1 and 2 start as stdin, stdout and stderr, then come
//! the preopened directories; `path_open` takes the lowest free number
//! above them.

use crate::abi::{fdflags, filetype, rights};
use crate::errno::{Errno, WasiResult};
use crate::fs::{WasiDir, WasiFile};
use std::collections::BTreeMap;

/// What an fd refers to.
pub enum Kind {
    Stdin,
    Stdout,
    Stderr,
    File {
        file: Box<dyn WasiFile>,
        /// The fd's position for `fd_read`, `fd_write`, `fd_seek`.
        pos: u64,
        read: bool,
        write: bool,
    },
    Dir {
        dir: Box<dyn WasiDir>,
        /// The guest path of a preopened directory (`fd_prestat_get`).
        preopen: Option<String>,
    },
}

/// One fd.
pub struct Entry {
    pub kind: Kind,
    /// [`fdflags`] bits (`APPEND`, `NONBLOCK`, ...).
    pub flags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

impl Entry {
    pub fn stream(kind: Kind) -> Entry {
        Entry { kind, flags: 0, rights_base: rights::STREAM, rights_inheriting: 0 }
    }

    pub fn directory(dir: Box<dyn WasiDir>, preopen: Option<String>) -> Entry {
        Entry {
            kind: Kind::Dir { dir, preopen },
            flags: 0,
            rights_base: rights::DIRECTORY,
            rights_inheriting: rights::DIRECTORY | rights::FILE,
        }
    }

    /// Refuses an operation that needs `right` on this fd (`ENOTCAPABLE`,
    /// as wasmtime: rights only ever shrink, through
    /// `fd_fdstat_set_rights` or `path_open`).
    pub fn need(&self, right: u64) -> WasiResult<()> {
        if self.rights_base & right == right {
            Ok(())
        } else {
            Err(Errno::Notcapable)
        }
    }

    /// The fd's filetype, for `fd_fdstat_get`.
    pub fn filetype(&self, stdio_is_tty: impl Fn(i32) -> bool) -> u8 {
        match &self.kind {
            Kind::Stdin => tty_filetype(stdio_is_tty(0)),
            Kind::Stdout => tty_filetype(stdio_is_tty(1)),
            Kind::Stderr => tty_filetype(stdio_is_tty(2)),
            Kind::File { file, .. } => file.filetype(),
            Kind::Dir { .. } => filetype::DIRECTORY,
        }
    }

    /// Whether writes go to the end (`O_APPEND`).
    pub fn appends(&self) -> bool {
        self.flags & fdflags::APPEND != 0
    }

    /// The directory this fd is, or `ENOTDIR` for a file (`EBADF` for
    /// stdio, as wasmtime).
    pub fn dir(&self) -> WasiResult<&dyn WasiDir> {
        match &self.kind {
            Kind::Dir { dir, .. } => Ok(dir.as_ref()),
            Kind::File { .. } => Err(Errno::Notdir),
            _ => Err(Errno::Badf),
        }
    }
}

/// A terminal is a character device; other stdio (pipes, captures) is
/// reported with an unknown type, so that `isatty()` is false.
fn tty_filetype(tty: bool) -> u8 {
    if tty {
        filetype::CHARACTER_DEVICE
    } else {
        filetype::UNKNOWN
    }
}

/// The fds of one program.
#[derive(Default)]
pub struct FdTable {
    entries: BTreeMap<u32, Entry>,
}

/// The most fds a program may have open at once (`EMFILE` beyond).
pub const MAX_FDS: usize = 1 << 16;

impl FdTable {
    pub fn get(&self, fd: u32) -> WasiResult<&Entry> {
        self.entries.get(&fd).ok_or(Errno::Badf)
    }

    pub fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Entry> {
        self.entries.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// Puts `entry` at `fd` (at start-up: stdio and preopens).
    pub fn insert_at(&mut self, fd: u32, entry: Entry) {
        self.entries.insert(fd, entry);
    }

    /// Puts `entry` at the lowest free fd.
    pub fn push(&mut self, entry: Entry) -> WasiResult<u32> {
        if self.entries.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        let mut fd = 0u32;
        for used in self.entries.keys() {
            if *used != fd {
                break;
            }
            fd += 1;
        }
        self.entries.insert(fd, entry);
        Ok(fd)
    }

    pub fn remove(&mut self, fd: u32) -> WasiResult<Entry> {
        self.entries.remove(&fd).ok_or(Errno::Badf)
    }

    /// `fd_renumber`: moves `from` onto `to`, closing what `to` was.
    pub fn renumber(&mut self, from: u32, to: u32) -> WasiResult<()> {
        if !self.entries.contains_key(&to) {
            return Err(Errno::Badf);
        }
        let entry = self.remove(from)?;
        self.entries.insert(to, entry);
        Ok(())
    }

    /// Every fd with its entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.entries.iter().map(|(fd, e)| (*fd, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_fds_first_and_renumber_closes_the_target() {
        let mut table = FdTable::default();
        for fd in 0..3 {
            table.insert_at(fd, Entry::stream(Kind::Stdout));
        }
        assert_eq!(table.push(Entry::stream(Kind::Stdout)).unwrap(), 3);
        assert_eq!(table.push(Entry::stream(Kind::Stdout)).unwrap(), 4);
        table.remove(3).unwrap();
        assert_eq!(table.push(Entry::stream(Kind::Stderr)).unwrap(), 3);
        assert!(matches!(table.renumber(3, 9), Err(Errno::Badf)), "the target must be open");
        table.renumber(3, 4).unwrap();
        assert!(matches!(table.get(4).unwrap().kind, Kind::Stderr));
        assert!(matches!(table.get(3), Err(Errno::Badf)));
        assert!(matches!(table.remove(3), Err(Errno::Badf)));
    }
}
