//! Opening, and open files: reads, writes, sizes, times, their life after
//! unlink and rename; the byte budget.

use super::*;
use crate::fs::memory::tree::MAX_OFFSET;
use crate::fs::memory::ENTRY_COST;

#[test]
fn open_creates_truncates_and_refuses_as_posix() {
    let (fs, root) = sample();
    let root = root.as_ref();
    let new = file(root, "new", create());
    assert_eq!(new.stat().unwrap().size, 0);
    assert_eq!(new.filetype(), filetype::REGULAR_FILE);
    assert_eq!(fs.read_file("new").unwrap(), b"");
    let exclusive = OpenOptions { exclusive: true, ..create() };
    for existing in ["a.txt", "d", "l", "dangle", "."] {
        assert_eq!(open_err(root, existing, exclusive), Errno::Exist, "{existing}");
    }
    // Truncation, with or without write access asked for.
    file(root, "a.txt", OpenOptions { truncate: true, ..write() });
    assert_eq!(fs.read_file("a.txt").unwrap(), b"");
    fs.insert_file("a.txt", b"hello".to_vec()).unwrap();
    file(root, "a.txt", OpenOptions { truncate: true, create: true, ..read() });
    assert_eq!(fs.read_file("a.txt").unwrap(), b"");
    // Directories.
    assert!(matches!(root.open("d", &read()), Ok(Opened::Dir(_))));
    assert!(matches!(root.open("d", &OpenOptions { directory: true, ..read() }), Ok(Opened::Dir(_))));
    assert_eq!(open_err(root, "a.txt", OpenOptions { directory: true, ..read() }), Errno::Notdir);
    assert_eq!(open_err(root, "nothere", OpenOptions { directory: true, ..read() }), Errno::Noent);
    for options in [write(), create(), OpenOptions { truncate: true, ..read() }] {
        assert_eq!(open_err(root, "d", options), Errno::Isdir);
        assert_eq!(open_err(root, ".", options), Errno::Isdir);
    }
    assert_eq!(open_err(root, "d", OpenOptions { directory: true, ..write() }), Errno::Isdir);
    assert_eq!(open_err(root, "d", OpenOptions { directory: true, ..create() }), Errno::Inval, "as wasmtime");
    assert_eq!(open_err(root, "newdir", OpenOptions { directory: true, ..create() }), Errno::Inval);
    // A trailing slash with O_CREAT is EISDIR, whatever is there.
    for path in ["newf/", "a.txt/", "d/"] {
        assert_eq!(open_err(root, path, create()), Errno::Isdir, "{path}");
        assert_eq!(open_err(root, path, exclusive), Errno::Isdir, "{path}");
    }
    assert_eq!(open_err(root, "..", create()), Errno::Perm);
}

#[test]
fn a_symlink_in_the_last_component() {
    let (fs, root) = sample();
    let root = root.as_ref();
    let nofollow = OpenOptions { follow: false, ..read() };
    assert_eq!(open_err(root, "l", nofollow), Errno::Loop);
    assert_eq!(open_err(root, "l", OpenOptions { directory: true, ..nofollow }), Errno::Loop);
    assert_eq!(open_err(root, "l", OpenOptions { follow: false, ..create() }), Errno::Loop);
    assert_eq!(open_err(root, "dangle", OpenOptions { follow: false, ..create() }), Errno::Loop);
    assert_eq!(open_err(root, "dangle", read()), Errno::Noent);
    // O_CREAT follows a dangling symlink and makes its target (Linux and
    // wasmtime both do).
    file(root, "dangle", create()).write_at(b"made", 0).unwrap();
    assert_eq!(fs.read_file("nothere").unwrap(), b"made");
    assert_eq!(kind(root, "dangle", false), Ok(filetype::SYMBOLIC_LINK));
    // An existing target is opened.
    assert_eq!(contents(file(root, "l", create()).as_ref()), b"hello");
    // Not above the root, though.
    fs.insert_symlink("out", "../x").unwrap();
    assert_eq!(open_err(root, "out", create()), Errno::Perm);
}

#[test]
fn written_through_an_fd_read_back_by_the_embedder() {
    let (fs, root) = sample();
    let out = file(root.as_ref(), "out/result.bin".trim_start_matches("out/"), create());
    assert_eq!(out.write_at(b"hello, ", 0).unwrap(), 7);
    assert_eq!(out.write_at(b"world", 7).unwrap(), 5);
    drop(out);
    assert_eq!(fs.read_file("result.bin").unwrap(), b"hello, world");
    assert!(fs.files().contains(&("/result.bin".to_string(), b"hello, world".to_vec())));
}

#[test]
fn reads_and_writes_at_offsets() {
    let (fs, root) = sample();
    let f = file(root.as_ref(), "a.txt", write());
    let mut buf = [0u8; 8];
    assert_eq!(f.read_at(&mut buf, 1).unwrap(), 4);
    assert_eq!(&buf[..4], b"ello");
    assert_eq!(f.read_at(&mut buf, 5).unwrap(), 0, "at the end");
    assert_eq!(f.read_at(&mut buf, 100).unwrap(), 0, "past the end");
    assert_eq!(f.read_at(&mut buf, u64::MAX).unwrap(), 0);
    // Past the end: zeros in between.
    assert_eq!(f.write_at(b"x", 10).unwrap(), 1);
    assert_eq!(fs.read_file("a.txt").unwrap(), b"hello\0\0\0\0\0x");
    assert_eq!(f.write_at(b"HE", 0).unwrap(), 2);
    assert_eq!(fs.read_file("a.txt").unwrap(), b"HEllo\0\0\0\0\0x");
    assert_eq!(f.write_at(b"", 1000).unwrap(), 0);
    assert_eq!(f.stat().unwrap().size, 11, "an empty write does not extend");
    assert_eq!(f.write_at(b"x", MAX_OFFSET + 1), Err(Errno::Inval));
    assert_eq!(f.write_at(b"x", u64::MAX), Err(Errno::Inval));
    assert_eq!(f.sync(), Ok(()));
    assert_eq!(f.datasync(), Ok(()));
}

#[test]
fn set_len_and_allocate() {
    let (fs, root) = sample();
    let f = file(root.as_ref(), "a.txt", write());
    f.set_len(3).unwrap();
    assert_eq!(fs.read_file("a.txt").unwrap(), b"hel");
    f.set_len(6).unwrap();
    assert_eq!(fs.read_file("a.txt").unwrap(), b"hel\0\0\0");
    f.allocate(2, 8).unwrap();
    assert_eq!(f.stat().unwrap().size, 10);
    f.allocate(0, 4).unwrap();
    assert_eq!(f.stat().unwrap().size, 10, "allocate never shrinks");
    assert_eq!(f.allocate(0, 0), Err(Errno::Inval));
    assert_eq!(f.allocate(MAX_OFFSET + 1, 1), Err(Errno::Inval));
    assert_eq!(f.allocate(MAX_OFFSET, 1), Err(Errno::Fbig));
    assert_eq!(f.set_len(MAX_OFFSET + 1), Err(Errno::Inval));
    assert_eq!(f.set_len(u64::MAX), Err(Errno::Inval));
    let before = f.stat().unwrap();
    f.set_times(SetTime::At(3), SetTime::At(4)).unwrap();
    let after = f.stat().unwrap();
    assert_eq!((after.atim, after.mtim, after.ino), (3, 4, before.ino));
    f.set_len(0).unwrap();
    assert!(f.stat().unwrap().mtim > 4, "a size change touches the file");
}

#[test]
fn an_unlinked_open_file_lives_on() {
    let (fs, root) = sample();
    let root = root.as_ref();
    let f = file(root, "a.txt", write());
    root.unlink_file("a.txt").unwrap();
    assert_eq!(fs.read_file("a.txt"), None);
    assert_eq!(contents(f.as_ref()), b"hello");
    assert_eq!(f.stat().unwrap().nlink, 0);
    f.write_at(b"!", 5).unwrap();
    assert_eq!(contents(f.as_ref()), b"hello!");
    let held = fs.usage();
    drop(f);
    assert_eq!(fs.usage(), held - 6, "its data is freed with the last handle");
    // A hard link keeps the data after one name goes.
    root.link("d/f", false, root, "f2").unwrap();
    root.unlink_file("d/f").unwrap();
    assert_eq!(fs.read_file("f2").unwrap(), b"in d");
    assert_eq!(root.stat_at("f2", false).unwrap().nlink, 1);
}

#[test]
fn a_file_renamed_over_while_open_keeps_its_data() {
    let (fs, root) = sample();
    let root = root.as_ref();
    fs.insert_file("victim", b"old data".to_vec()).unwrap();
    fs.insert_file("winner", b"new data".to_vec()).unwrap();
    let old = file(root, "victim", read());
    let moving = file(root, "winner", write());
    root.rename("winner", root, "victim").unwrap();
    assert_eq!(contents(old.as_ref()), b"old data");
    assert_eq!(old.stat().unwrap().nlink, 0);
    // The open file follows its inode to the new name.
    moving.write_at(b"NEW", 0).unwrap();
    assert_eq!(fs.read_file("victim").unwrap(), b"NEW data");
    let d = subdir(root, "d");
    root.rename("d", root, "d2").unwrap();
    assert_eq!(contents(file(d.as_ref(), "f", read()).as_ref()), b"in d", "an open directory too");
}

#[test]
fn the_budget_refuses_huge_sizes_before_allocating() {
    let fs = MemFs::with_capacity_limit(1 << 20);
    let root = fs.root();
    let f = file(root.as_ref(), "big", create());
    let base = fs.usage();
    assert_eq!(base, ENTRY_COST + 3);
    assert_eq!(f.write_at(b"x", 1 << 40), Err(Errno::Nospc));
    assert_eq!(f.write_at(b"x", MAX_OFFSET - 1), Err(Errno::Nospc));
    assert_eq!(f.set_len(1 << 40), Err(Errno::Nospc));
    assert_eq!(f.set_len(MAX_OFFSET), Err(Errno::Nospc));
    assert_eq!(f.allocate(0, 1 << 40), Err(Errno::Nospc));
    assert_eq!(f.stat().unwrap().size, 0);
    assert_eq!(fs.usage(), base);
    assert_eq!(fs.files(), [("/big".to_string(), Vec::new())]);
    // Up to the limit, then a short write, then none.
    let room = (1 << 20) - base;
    f.set_len(room - 10).unwrap();
    assert_eq!(f.write_at(&[7; 100], room - 20).unwrap(), 20, "what fits");
    assert_eq!(f.stat().unwrap().size, room);
    assert_eq!(fs.usage(), 1 << 20);
    assert_eq!(f.write_at(b"x", room), Err(Errno::Nospc));
    assert_eq!(f.write_at(b"y", 0).unwrap(), 1, "overwriting needs no room");
    assert_eq!(root.create_dir("more"), Err(Errno::Nospc), "names count too");
    assert_eq!(root.symlink("big", "s"), Err(Errno::Nospc));
    assert_eq!(open_err(root.as_ref(), "more", create()), Errno::Nospc);
    assert_eq!(fs.insert_file("more", b"z".to_vec()), Err(Errno::Nospc));
    // Shrinking frees room.
    f.set_len(0).unwrap();
    assert_eq!(fs.usage(), base);
    let sizes: Vec<usize> = fs.files().iter().map(|(_, data)| data.len()).collect();
    assert_eq!(sizes, [0]);
    root.create_dir("more").unwrap();
}

#[test]
fn renaming_to_a_longer_name_needs_room() {
    let fs = MemFs::with_capacity_limit(2 * ENTRY_COST + 2);
    let root = fs.root();
    root.create_dir("a").unwrap();
    root.create_dir("b").unwrap();
    assert_eq!(root.rename("a", root.as_ref(), "longer"), Err(Errno::Nospc));
    root.rename("a", root.as_ref(), "b").unwrap();
    assert_eq!(fs.usage(), ENTRY_COST + 1);
    root.rename("b", root.as_ref(), "xy").unwrap();
}
