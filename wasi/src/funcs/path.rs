//! The `path_*` functions: each resolves a path in a directory fd through
//! that directory's [`crate::fs::WasiDir`], which keeps it inside.

use super::fd_meta::{times, write_filestat};
use super::{Args, Outcome};
use crate::abi::{fdflags, lookupflags, oflags, rights};
use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::fd::{Entry, Kind};
use crate::fs::{OpenOptions, Opened, WasiDir};
use crate::guest::Guest;

/// The path at `ptr` (`len` bytes): UTF-8 without NUL bytes.
fn path<'m>(mem: &'m Guest<'_>, ptr: u32, len: u32) -> WasiResult<&'m str> {
    let path = mem.str(ptr, len)?;
    if path.contains('\0') {
        return Err(Errno::Inval);
    }
    Ok(path)
}

/// The directory fd `fd` is, if it has `right`.
fn dir_with(ctx: &WasiCtx, fd: u32, right: u64) -> WasiResult<&dyn WasiDir> {
    let entry = ctx.fds.get(fd)?;
    let dir = entry.dir()?;
    entry.need(right)?;
    Ok(dir)
}

fn follows(flags: u32) -> WasiResult<bool> {
    if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(flags & lookupflags::SYMLINK_FOLLOW != 0)
}

pub(crate) fn path_open(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let (fd, dirflags, path_ptr, path_len) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
    let oflags = a.flags(4, oflags::ALL.into())? as u16;
    let (base, inheriting) = (a.u64(5), a.u64(6));
    let fdflags = a.flags(7, fdflags::ALL.into())? as u16;
    let opened_ptr = a.u32(8);
    let follow = follows(dirflags)?;
    mem.check(opened_ptr, 4)?;
    let path = path(mem, path_ptr, path_len)?;
    let parent = ctx.fds.get(fd)?;
    let dir = parent.dir()?;
    parent.need(rights::PATH_OPEN)?;
    let write = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0
        || fdflags & fdflags::APPEND != 0;
    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
    let options = OpenOptions {
        follow,
        create: oflags & oflags::CREAT != 0,
        exclusive: oflags & oflags::EXCL != 0,
        truncate: oflags & oflags::TRUNC != 0,
        directory: oflags & oflags::DIRECTORY != 0,
        read,
        write,
    };
    // The new fd's rights: what was asked for, within what the directory
    // passes on.
    let (base, inheriting) = (base & parent.rights_inheriting, inheriting & parent.rights_inheriting);
    let entry = match dir.open(path, &options)? {
        Opened::File(file) => Entry {
            kind: Kind::File { file, pos: 0, read, write },
            flags: fdflags,
            rights_base: base & rights::FILE,
            rights_inheriting: inheriting & rights::FILE,
        },
        Opened::Dir(dir) => Entry {
            kind: Kind::Dir { dir, preopen: None },
            flags: fdflags,
            rights_base: base & rights::DIRECTORY,
            rights_inheriting: inheriting,
        },
    };
    let new = ctx.fds.push(entry)?;
    mem.write_u32(opened_ptr, new)?;
    Ok(())
}

pub(crate) fn path_create_directory(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let dir = dir_with(ctx, a.u32(0), rights::PATH_CREATE_DIRECTORY)?;
    Ok(dir.create_dir(path(mem, a.u32(1), a.u32(2))?)?)
}

pub(crate) fn path_remove_directory(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let dir = dir_with(ctx, a.u32(0), rights::PATH_REMOVE_DIRECTORY)?;
    Ok(dir.remove_dir(path(mem, a.u32(1), a.u32(2))?)?)
}

pub(crate) fn path_unlink_file(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let dir = dir_with(ctx, a.u32(0), rights::PATH_UNLINK_FILE)?;
    Ok(dir.unlink_file(path(mem, a.u32(1), a.u32(2))?)?)
}

pub(crate) fn path_filestat_get(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let follow = follows(a.u32(1))?;
    let dir = dir_with(ctx, a.u32(0), rights::PATH_FILESTAT_GET)?;
    let st = dir.stat_at(path(mem, a.u32(2), a.u32(3))?, follow)?;
    write_filestat(mem, a.u32(4), &st)?;
    Ok(())
}

pub(crate) fn path_filestat_set_times(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let follow = follows(a.u32(1))?;
    let (atim, mtim) = times(a.u64(4), a.u64(5), a.u32(6))?;
    let dir = dir_with(ctx, a.u32(0), rights::PATH_FILESTAT_SET_TIMES)?;
    Ok(dir.set_times_at(path(mem, a.u32(2), a.u32(3))?, follow, atim, mtim)?)
}

pub(crate) fn path_link(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let follow = follows(a.u32(1))?;
    let old_dir = dir_with(ctx, a.u32(0), rights::PATH_LINK_SOURCE)?;
    let new_dir = dir_with(ctx, a.u32(4), rights::PATH_LINK_TARGET)?;
    let old = path(mem, a.u32(2), a.u32(3))?;
    let new = path(mem, a.u32(5), a.u32(6))?;
    Ok(old_dir.link(old, follow, new_dir, new)?)
}

pub(crate) fn path_readlink(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let dir = dir_with(ctx, a.u32(0), rights::PATH_READLINK)?;
    let target = dir.read_link(path(mem, a.u32(1), a.u32(2))?)?;
    // Like readlink(2): as much as fits, no terminator.
    let n = target.len().min(a.u32(4) as usize);
    mem.write(a.u32(3), &target.as_bytes()[..n])?;
    mem.write_u32(a.u32(5), n as u32)?;
    Ok(())
}

pub(crate) fn path_rename(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let old_dir = dir_with(ctx, a.u32(0), rights::PATH_RENAME_SOURCE)?;
    let new_dir = dir_with(ctx, a.u32(3), rights::PATH_RENAME_TARGET)?;
    let old = path(mem, a.u32(1), a.u32(2))?;
    let new = path(mem, a.u32(4), a.u32(5))?;
    Ok(old_dir.rename(old, new_dir, new)?)
}

pub(crate) fn path_symlink(ctx: &mut WasiCtx, mem: &mut Guest<'_>, a: &Args<'_>) -> Outcome {
    let dir = dir_with(ctx, a.u32(2), rights::PATH_SYMLINK)?;
    let target = path(mem, a.u32(0), a.u32(1))?;
    Ok(dir.symlink(target, path(mem, a.u32(3), a.u32(4))?)?)
}
