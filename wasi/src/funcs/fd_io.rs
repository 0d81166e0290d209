//! Reading and writing: `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`,
//! `fd_seek`, `fd_tell`. File data moves between the file and guest memory
//! directly, span by span, so no read or write makes the host allocate
//! more than one stdio chunk.

use super::{Args, Halt, Outcome};
use crate::abi::{fdflags, rights, whence};
use crate::ctx::{Wait, WasiCtx};
use crate::errno::{Errno, WasiResult};
use crate::fd::Kind;
use crate::fs::WasiFile;
use crate::guest::{capacity, Guest, Span};
use crate::stdio::Read;

/// The most one read of stdin returns.
const STDIN_CHUNK: usize = 1 << 20;

/// Reads into `spans` from `file` at `offset`, in order, until a short
/// read; returns the bytes read.
fn read_spans(file: &dyn WasiFile, mem: &mut Guest<'_>, spans: &[Span], offset: u64) -> WasiResult<u64> {
    let mut total = 0u64;
    for span in spans {
        let buf = mem.bytes_mut(span.ptr, span.len)?;
        let n = file.read_at(buf, offset + total)?;
        total += n as u64;
        if n < span.len as usize {
            break;
        }
    }
    Ok(total)
}

/// Writes `spans` to `file` at `offset`, in order; returns the bytes
/// written.
fn write_spans(file: &dyn WasiFile, mem: &Guest<'_>, spans: &[Span], offset: u64) -> WasiResult<u64> {
    let mut total = 0u64;
    for span in spans {
        let data = mem.bytes(span.ptr, span.len)?;
        let n = file.write_at(data, offset + total)?;
        total += n as u64;
        if n < data.len() {
            break;
        }
    }
    Ok(total)
}

fn size_u32(n: u64) -> WasiResult<u32> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}

pub(crate) fn fd_read(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, iovs, count, nread_ptr) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
    let spans = mem.iovecs(iovs, count)?;
    mem.check(nread_ptr, 4)?;
    let WasiCtx { fds, stdin, .. } = ctx;
    let entry = fds.get_mut(fd)?;
    let nread = match &mut entry.kind {
        Kind::Stdin => {
            entry.need(rights::FD_READ)?;
            match stdin.read(capacity(&spans, STDIN_CHUNK))? {
                Read::Data(data) => mem.scatter(&spans, &data)? as u64,
                Read::WouldWait if entry.flags & fdflags::NONBLOCK != 0 => return Err(Errno::Again.into()),
                Read::WouldWait => return Err(Halt::Suspend(Wait::Stdin)),
            }
        }
        Kind::File { file, pos, read, .. } => {
            if !*read {
                return Err(Errno::Badf.into());
            }
            let n = read_spans(file.as_ref(), mem, &spans, *pos)?;
            *pos += n;
            n
        }
        Kind::Stdout | Kind::Stderr => return Err(Errno::Badf.into()),
        Kind::Dir { .. } => return Err(Errno::Isdir.into()),
    };
    mem.write_u32(nread_ptr, size_u32(nread)?)?;
    Ok(())
}

pub(crate) fn fd_write(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, iovs, count, nwritten_ptr) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
    let spans = mem.iovecs(iovs, count)?;
    mem.check(nwritten_ptr, 4)?;
    let WasiCtx { fds, stdout, stderr, .. } = ctx;
    let entry = fds.get_mut(fd)?;
    let appends = entry.appends();
    let written = match &mut entry.kind {
        Kind::Stdout | Kind::Stderr => {
            let is_stderr = matches!(entry.kind, Kind::Stderr);
            let data = mem.gather(&spans)?;
            let output = if is_stderr { stderr } else { stdout };
            output.write(&data, is_stderr)?;
            data.len() as u64
        }
        Kind::File { file, pos, write, .. } => {
            if !*write {
                return Err(Errno::Badf.into());
            }
            let at = if appends { file.stat()?.size } else { *pos };
            let n = write_spans(file.as_ref(), mem, &spans, at)?;
            *pos = at + n;
            n
        }
        Kind::Stdin => return Err(Errno::Badf.into()),
        Kind::Dir { .. } => return Err(Errno::Isdir.into()),
    };
    mem.write_u32(nwritten_ptr, size_u32(written)?)?;
    Ok(())
}

/// The file an fd is, for the positioned operations: `ESPIPE` for stdio.
fn file_of(ctx: &mut WasiCtx, fd: u32) -> WasiResult<(&dyn WasiFile, &mut u64, bool, bool)> {
    match &mut ctx.fds.get_mut(fd)?.kind {
        Kind::File { file, pos, read, write } => Ok((&**file, pos, *read, *write)),
        Kind::Stdin | Kind::Stdout | Kind::Stderr => Err(Errno::Spipe),
        Kind::Dir { .. } => Err(Errno::Isdir),
    }
}

pub(crate) fn fd_pread(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, iovs, count, offset, nread_ptr) = (a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
    let spans = mem.iovecs(iovs, count)?;
    mem.check(nread_ptr, 4)?;
    let (file, _, read, _) = file_of(ctx, fd)?;
    if !read {
        return Err(Errno::Badf.into());
    }
    let n = read_spans(file, mem, &spans, offset)?;
    mem.write_u32(nread_ptr, size_u32(n)?)?;
    Ok(())
}

pub(crate) fn fd_pwrite(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, iovs, count, offset, nwritten_ptr) = (a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
    let spans = mem.iovecs(iovs, count)?;
    mem.check(nwritten_ptr, 4)?;
    let (file, _, _, write) = file_of(ctx, fd)?;
    if !write {
        return Err(Errno::Badf.into());
    }
    let n = write_spans(file, mem, &spans, offset)?;
    mem.write_u32(nwritten_ptr, size_u32(n)?)?;
    Ok(())
}

pub(crate) fn fd_seek(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, offset, how, new_ptr) = (a.u32(0), a.u64(1) as i64, a.u32(2), a.u32(3));
    let (file, pos, _, _) = file_of(ctx, fd)?;
    let base: i128 = match u8::try_from(how).map_err(|_| Errno::Inval)? {
        whence::SET => 0,
        whence::CUR => i128::from(*pos),
        whence::END => i128::from(file.stat()?.size),
        _ => return Err(Errno::Inval.into()),
    };
    let new = base + i128::from(offset);
    let new = u64::try_from(new).map_err(|_| Errno::Inval)?;
    if new > i64::MAX as u64 {
        return Err(Errno::Inval.into());
    }
    *pos = new;
    mem.write_u64(new_ptr, new)?;
    Ok(())
}

pub(crate) fn fd_tell(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (_, pos, _, _) = file_of(ctx, a.u32(0))?;
    let pos = *pos;
    mem.write_u64(a.u32(1), pos)?;
    Ok(())
}
