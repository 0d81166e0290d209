//! [`MemFile`]: an open regular file of a [`MemFs`] as a [`WasiFile`].
//!
//! An open file refers to its inode, not to a path: it stays readable and
//! writable after it is unlinked, renamed or replaced by a rename (POSIX
//! semantics), and its data is freed when the last name and the last open
//! file are gone.

use super::tree::{Ino, Tree, MAX_OFFSET};
use super::MemFs;
use crate::abi::filetype;
use crate::errno::{Errno, WasiResult};
use crate::fs::{Filestat, SetTime, WasiFile};

pub struct MemFile {
    fs: MemFs,
    ino: Ino,
    /// Opened from a read-only view: changes are refused (`EPERM`, as
    /// wasmtime for a file of a preopen without `FilePerms::WRITE`).
    read_only: bool,
}

impl MemFile {
    /// A handle on regular file `ino` of `tree` (the locked state of `fs`).
    pub(super) fn new(fs: &MemFs, tree: &mut Tree, ino: Ino, read_only: bool) -> MemFile {
        tree.node_mut(ino).handles += 1;
        MemFile { fs: fs.clone(), ino, read_only }
    }

    fn writable(&self) -> WasiResult<()> {
        if self.read_only {
            Err(Errno::Perm)
        } else {
            Ok(())
        }
    }
}

impl Drop for MemFile {
    fn drop(&mut self) {
        let mut tree = self.fs.lock();
        tree.node_mut(self.ino).handles -= 1;
        tree.collect(self.ino);
    }
}

impl WasiFile for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> WasiResult<usize> {
        let tree = self.fs.lock();
        let bytes = tree.bytes(self.ino);
        let Ok(start) = usize::try_from(offset) else { return Ok(0) };
        let Some(rest) = bytes.get(start..) else { return Ok(0) };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }

    /// Writes at `offset`, zero-filling from the end of the file to it.
    /// Within the file system's byte budget: a write that does not fit
    /// writes what fits, and one that can write nothing is `ENOSPC`; the
    /// check comes before any allocation.
    fn write_at(&self, data: &[u8], offset: u64) -> WasiResult<usize> {
        self.writable()?;
        self.fs.lock().write(self.ino, data, offset)
    }

    fn stat(&self) -> WasiResult<Filestat> {
        Ok(self.fs.lock().stat(self.ino))
    }

    /// `EINVAL` above `i64::MAX` (as Linux), `ENOSPC` past the budget,
    /// checked before allocating.
    fn set_len(&self, size: u64) -> WasiResult<()> {
        self.writable()?;
        self.fs.lock().resize(self.ino, size)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> WasiResult<()> {
        self.writable()?;
        self.fs.lock().set_times(self.ino, atim, mtim);
        Ok(())
    }

    fn sync(&self) -> WasiResult<()> {
        Ok(())
    }

    fn datasync(&self) -> WasiResult<()> {
        Ok(())
    }

    /// Extends the file with zeros to `offset + len` if it is shorter (as
    /// `posix_fallocate` on Linux): `EINVAL` for an empty range or an
    /// offset or length above `i64::MAX` (negative as `off_t`), `EFBIG` for
    /// an end above it, `ENOSPC` past the budget, checked before
    /// allocating. (wasmtime's `fd_allocate` is `ENOTSUP` for every file.)
    fn allocate(&self, offset: u64, len: u64) -> WasiResult<()> {
        self.writable()?;
        if len == 0 || offset > MAX_OFFSET || len > MAX_OFFSET {
            return Err(Errno::Inval);
        }
        let end = offset + len;
        if end > MAX_OFFSET {
            return Err(Errno::Fbig);
        }
        let mut tree = self.fs.lock();
        if end > tree.bytes(self.ino).len() as u64 {
            tree.resize(self.ino, end)?;
        }
        Ok(())
    }

    fn filetype(&self) -> u8 {
        filetype::REGULAR_FILE
    }
}
