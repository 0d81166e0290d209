//! Everything about an fd but its data: status, flags, rights, sizes,
//! times, syncing, preopens, directory listings, closing and renumbering.

use super::{Args, Outcome};
use crate::abi::{self, fdflags, fstflags, preopentype, rights};
use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::fd::{Entry, Kind};
use crate::fs::{Filestat, SetTime};
use crate::guest::Guest;

/// Writes a `$filestat` at `ptr`.
pub(crate) fn write_filestat(mem: &mut Guest<'_>, ptr: u32, st: &Filestat) -> WasiResult<()> {
    let buf = mem.bytes_mut(ptr, abi::FILESTAT_SIZE)?;
    buf.fill(0);
    buf[0..8].copy_from_slice(&st.dev.to_le_bytes());
    buf[8..16].copy_from_slice(&st.ino.to_le_bytes());
    buf[16] = st.filetype;
    buf[24..32].copy_from_slice(&st.nlink.to_le_bytes());
    buf[32..40].copy_from_slice(&st.size.to_le_bytes());
    buf[40..48].copy_from_slice(&st.atim.to_le_bytes());
    buf[48..56].copy_from_slice(&st.mtim.to_le_bytes());
    buf[56..64].copy_from_slice(&st.ctim.to_le_bytes());
    Ok(())
}

/// The times `fst_flags` asks to set: `EINVAL` for a time both given and
/// "now", or unknown bits.
pub(crate) fn times(atim: u64, mtim: u64, flags: u32) -> WasiResult<(SetTime, SetTime)> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fstflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    let pick = |set: u16, now: u16, value: u64| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(SetTime::At(value)),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Unchanged),
    };
    Ok((pick(fstflags::ATIM, fstflags::ATIM_NOW, atim)?, pick(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?))
}

/// Whether host fd `fd` (0, 1 or 2) is a terminal.
fn host_tty(fd: i32) -> bool {
    // SAFETY: `isatty` only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// Whether a stdio entry shows as a terminal: only when it is the host's
/// own stdio and that is one.
fn stdio_tty(ctx: &WasiCtx, fd: i32) -> bool {
    use crate::stdio::{Input, Output};
    let inherited = match fd {
        0 => matches!(ctx.stdin, Input::Inherit),
        1 => matches!(ctx.stdout, Output::Inherit),
        _ => matches!(ctx.stderr, Output::Inherit),
    };
    inherited && host_tty(fd)
}

pub(crate) fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let entry = ctx.fds.get(a.u32(0))?;
    let filetype = entry.filetype(|fd| stdio_tty(ctx, fd));
    let buf = mem.bytes_mut(a.u32(1), abi::FDSTAT_SIZE)?;
    buf.fill(0);
    buf[0] = filetype;
    buf[2..4].copy_from_slice(&entry.flags.to_le_bytes());
    let mut base = entry.rights_base;
    if filetype == abi::filetype::CHARACTER_DEVICE {
        // What makes wasi-libc's `isatty()` true.
        base &= !(rights::FD_SEEK | rights::FD_TELL);
    }
    buf[8..16].copy_from_slice(&base.to_le_bytes());
    buf[16..24].copy_from_slice(&entry.rights_inheriting.to_le_bytes());
    Ok(())
}

pub(crate) fn fd_fdstat_set_flags(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let flags = a.flags(1, fdflags::ALL.into())? as u16;
    let entry = ctx.fds.get_mut(a.u32(0))?;
    entry.need(rights::FD_FDSTAT_SET_FLAGS)?;
    // Only append and non-blocking change anything here; the sync flags
    // are accepted (every write reaches the file system at once).
    entry.flags = flags;
    Ok(())
}

/// Rights cannot be changed (`ENOTSUP` for an open fd, as wasmtime, where
/// preview1 rights are only advisory).
pub(crate) fn fd_fdstat_set_rights(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    ctx.fds.get(a.u32(0))?;
    Err(Errno::Notsup.into())
}

/// The status of an fd's file or directory (zeros but the type for
/// stdio).
fn stat_of(ctx: &WasiCtx, entry: &Entry) -> WasiResult<Filestat> {
    match &entry.kind {
        Kind::File { file, .. } => file.stat(),
        Kind::Dir { dir, .. } => dir.stat(),
        _ => Ok(Filestat { filetype: entry.filetype(|fd| stdio_tty(ctx, fd)), ..Filestat::default() }),
    }
}

pub(crate) fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let entry = ctx.fds.get(a.u32(0))?;
    let st = stat_of(ctx, entry)?;
    write_filestat(mem, a.u32(1), &st)?;
    Ok(())
}

pub(crate) fn fd_filestat_set_size(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    match &ctx.fds.get(a.u32(0))?.kind {
        Kind::File { file, write: true, .. } => Ok(file.set_len(a.u64(1))?),
        Kind::File { .. } | Kind::Stdin | Kind::Stdout | Kind::Stderr => Err(Errno::Badf.into()),
        Kind::Dir { .. } => Err(Errno::Isdir.into()),
    }
}

pub(crate) fn fd_filestat_set_times(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (atim, mtim) = times(a.u64(1), a.u64(2), a.u32(3))?;
    match &ctx.fds.get(a.u32(0))?.kind {
        Kind::File { file, .. } => Ok(file.set_times(atim, mtim)?),
        Kind::Dir { dir, .. } => Ok(dir.set_times(atim, mtim)?),
        _ => Err(Errno::Badf.into()),
    }
}

pub(crate) fn fd_advise(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    if a.u32(3) > u32::from(abi::ADVICE_MAX) {
        return Err(Errno::Inval.into());
    }
    match &ctx.fds.get(a.u32(0))?.kind {
        // Advice is only a hint.
        Kind::File { .. } => Ok(()),
        Kind::Dir { .. } => Err(Errno::Badf.into()),
        _ => Err(Errno::Spipe.into()),
    }
}

pub(crate) fn fd_allocate(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    match &ctx.fds.get(a.u32(0))?.kind {
        Kind::File { file, write: true, .. } => Ok(file.allocate(a.u64(1), a.u64(2))?),
        Kind::Dir { .. } => Err(Errno::Badf.into()),
        _ => Err(Errno::Badf.into()),
    }
}

pub(crate) fn fd_close(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    ctx.fds.remove(a.u32(0))?;
    Ok(())
}

/// Syncs a file (`EBADF` for a directory, as wasmtime).
pub(crate) fn fd_sync(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    match &ctx.fds.get(a.u32(0))?.kind {
        Kind::File { file, .. } => Ok(file.sync()?),
        Kind::Dir { .. } => Err(Errno::Badf.into()),
        _ => Err(Errno::Inval.into()),
    }
}

/// Syncs a file's data (`EBADF` for a directory, as wasmtime).
pub(crate) fn fd_datasync(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    match &ctx.fds.get(a.u32(0))?.kind {
        Kind::File { file, .. } => Ok(file.datasync()?),
        Kind::Dir { .. } => Err(Errno::Badf.into()),
        _ => Err(Errno::Inval.into()),
    }
}

/// The guest path of preopen `fd`, or `EBADF` (which ends the guest's
/// scan for preopens).
fn preopen_of(ctx: &WasiCtx, fd: u32) -> WasiResult<&str> {
    match &ctx.fds.get(fd)?.kind {
        Kind::Dir { preopen: Some(path), .. } => Ok(path),
        _ => Err(Errno::Badf),
    }
}

pub(crate) fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let len = preopen_of(ctx, a.u32(0))?.len() as u32;
    let ptr = a.u32(1);
    mem.bytes_mut(ptr, abi::PRESTAT_SIZE)?.fill(0);
    mem.write_u8(ptr, preopentype::DIR)?;
    mem.write_u32(ptr + 4, len)?;
    Ok(())
}

pub(crate) fn fd_prestat_dir_name(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let path = preopen_of(ctx, a.u32(0))?;
    let len = a.u32(2) as usize;
    if len < path.len() {
        return Err(Errno::Nametoolong.into());
    }
    mem.write(a.u32(1), path.as_bytes())?;
    Ok(())
}

pub(crate) fn fd_readdir(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, buf, buf_len, cookie, used_ptr) = (a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
    let entry = ctx.fds.get(fd)?;
    entry.need(rights::FD_READDIR)?;
    let entries = entry.dir()?.read_dir()?;
    // Each entry as a `$dirent` header and its name, back to back; the
    // last one cut off where the buffer ends (the guest sees a full buffer
    // and asks again from that entry's cookie).
    let mut out: Vec<u8> = Vec::new();
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, e) in entries.iter().enumerate().skip(start) {
        if out.len() >= buf_len as usize {
            break;
        }
        let mut header = [0u8; abi::DIRENT_SIZE as usize];
        header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        header[8..16].copy_from_slice(&e.ino.to_le_bytes());
        header[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        header[20] = e.filetype;
        out.extend_from_slice(&header);
        out.extend_from_slice(e.name.as_bytes());
    }
    out.truncate(buf_len as usize);
    mem.write(buf, &out)?;
    mem.write_u32(used_ptr, out.len() as u32)?;
    Ok(())
}

pub(crate) fn fd_renumber(ctx: &mut WasiCtx, _: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (from, to) = (a.u32(0), a.u32(1));
    ctx.fds.get(from)?;
    ctx.fds.renumber(from, to)?;
    Ok(())
}
