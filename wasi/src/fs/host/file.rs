//! [`HostFile`]: a file of the host file system opened through a
//! [`super::HostDir`], as a [`WasiFile`].

use super::{errno, filestat, time_spec};
use crate::errno::{Errno, WasiResult};
use crate::fs::{Filestat, SetTime, WasiFile};
use cap_std::fs::Metadata;
use std::io;
use std::os::unix::fs::FileExt;

/// An open host file (a regular file, or a device or FIFO that the
/// directory holds). Reads and writes are positioned (`pread`, `pwrite`):
/// the fd table keeps the position.
pub(crate) struct HostFile {
    file: std::fs::File,
    /// Its WASI filetype, fixed when it was opened.
    filetype: u8,
    /// Opened through a read-only directory: every change is `EPERM`.
    read_only: bool,
}

impl HostFile {
    pub(crate) fn new(file: std::fs::File, filetype: u8, read_only: bool) -> HostFile {
        HostFile { file, filetype, read_only }
    }

    fn writable(&self) -> WasiResult<()> {
        if self.read_only {
            Err(Errno::Perm)
        } else {
            Ok(())
        }
    }
}

/// Runs `op` again while it is interrupted by a signal.
fn retry<T>(mut op: impl FnMut() -> io::Result<T>) -> WasiResult<T> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result.map_err(errno),
        }
    }
}

impl WasiFile for HostFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> WasiResult<usize> {
        retry(|| self.file.read_at(buf, offset))
    }

    fn write_at(&self, data: &[u8], offset: u64) -> WasiResult<usize> {
        retry(|| self.file.write_at(data, offset))
    }

    fn stat(&self) -> WasiResult<Filestat> {
        Ok(filestat(&Metadata::from_file(&self.file).map_err(errno)?))
    }

    fn set_len(&self, size: u64) -> WasiResult<()> {
        self.writable()?;
        retry(|| self.file.set_len(size))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> WasiResult<()> {
        self.writable()?;
        fs_set_times::SetTimes::set_times(&self.file, time_spec(atim), time_spec(mtim)).map_err(errno)
    }

    fn sync(&self) -> WasiResult<()> {
        retry(|| self.file.sync_all())
    }

    fn datasync(&self) -> WasiResult<()> {
        retry(|| self.file.sync_data())
    }

    /// `ENOTSUP`, as wasmtime's `fd_allocate` (`crates/wasi/src/p1.rs`:
    /// `posix_fallocate` has no counterpart in WASI preview 2, which its
    /// preview 1 is built on), after the read-only check.
    fn allocate(&self, _offset: u64, _len: u64) -> WasiResult<()> {
        self.writable()?;
        Err(Errno::Notsup)
    }

    fn filetype(&self) -> u8 {
        self.filetype
    }
}
