//! The directory operations: making and removing entries, links, renames,
//! status, times, listings; across file systems; through a read-only view.

use super::*;

#[test]
fn create_dir() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    root.create_dir("n").unwrap();
    root.create_dir("n/m/").unwrap();
    root.create_dir("dl/viasymlink").unwrap();
    assert_eq!(kind(root, "d/viasymlink", false), Ok(filetype::DIRECTORY));
    assert_eq!(kind(root, "n/m", false), Ok(filetype::DIRECTORY));
    for existing in ["d", "a.txt", "l", "dangle", ".", "d/..", "n/"] {
        assert_eq!(root.create_dir(existing), Err(Errno::Exist), "{existing}");
    }
    assert_eq!(root.create_dir(".."), Err(Errno::Perm));
}

#[test]
fn remove_dir() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(root.remove_dir("d"), Err(Errno::Notempty));
    assert_eq!(root.remove_dir("a.txt"), Err(Errno::Notdir));
    assert_eq!(root.remove_dir("dl"), Err(Errno::Notdir), "a symlink, even to a directory");
    assert_eq!(root.remove_dir("nothere"), Err(Errno::Noent));
    assert_eq!(root.remove_dir(""), Err(Errno::Noent));
    // As cap-std: `.`, `..` and a trailing slash are EINVAL.
    assert_eq!(root.remove_dir("."), Err(Errno::Inval));
    assert_eq!(root.remove_dir("d/sub/.."), Err(Errno::Inval));
    assert_eq!(root.remove_dir("e/"), Err(Errno::Inval));
    assert_eq!(root.remove_dir("dl/"), Err(Errno::Inval));
    assert_eq!(root.remove_dir("a.txt/"), Err(Errno::Notdir));
    assert_eq!(root.remove_dir(".."), Err(Errno::Perm));
    root.remove_dir("e").unwrap();
    assert_eq!(kind(root, "e", false), Err(Errno::Noent));
    root.remove_dir("d/sub").unwrap();
}

#[test]
fn unlink_file() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    for dir in ["d", "d/", "dl/", ".", "d/sub/.."] {
        assert_eq!(root.unlink_file(dir), Err(Errno::Isdir), "{dir}");
    }
    assert_eq!(root.unlink_file("a.txt/"), Err(Errno::Notdir));
    assert_eq!(root.unlink_file("l/"), Err(Errno::Notdir));
    assert_eq!(root.unlink_file("a.txt/."), Err(Errno::Notdir));
    assert_eq!(root.unlink_file("dangle/"), Err(Errno::Noent));
    assert_eq!(root.unlink_file("nothere"), Err(Errno::Noent));
    assert_eq!(root.unlink_file(""), Err(Errno::Noent));
    assert_eq!(root.unlink_file(".."), Err(Errno::Perm));
    // A symlink goes, not what it points to.
    root.unlink_file("dl").unwrap();
    assert_eq!(kind(root, "d", false), Ok(filetype::DIRECTORY));
    root.unlink_file("dangle").unwrap();
    root.unlink_file("a.txt").unwrap();
    assert_eq!(kind(root, "a.txt", false), Err(Errno::Noent));
    assert_eq!(kind(root, "l", true), Err(Errno::Noent));
}

#[test]
fn read_link() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(root.read_link("l").unwrap(), "a.txt");
    assert_eq!(root.read_link("d/back").unwrap(), "../a.txt");
    assert_eq!(root.read_link("dl/back").unwrap(), "../a.txt");
    assert_eq!(root.read_link("up2").unwrap(), "../..", "stored as given");
    for not_a_link in ["a.txt", "d", ".", "dl/"] {
        assert_eq!(root.read_link(not_a_link), Err(Errno::Inval), "{not_a_link}");
    }
    assert_eq!(root.read_link("l/"), Err(Errno::Notdir));
    assert_eq!(root.read_link("nothere"), Err(Errno::Noent));
    assert_eq!(root.read_link(""), Err(Errno::Noent));
    assert_eq!(root.read_link(".."), Err(Errno::Perm));
    // A target that leads outside is not shown (as cap-std).
    assert_eq!(root.read_link("abs"), Err(Errno::Perm));
}

#[test]
fn symlink() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    root.symlink("d/f", "s").unwrap();
    assert_eq!(root.read_link("s").unwrap(), "d/f");
    assert_eq!(contents(file(root, "s", read()).as_ref()), b"in d");
    root.symlink("../../anywhere", "far").unwrap();
    assert_eq!(kind(root, "far", true), Err(Errno::Perm));
    for existing in ["a.txt", "d", "l", "dangle", "d/", "d/..", "."] {
        assert_eq!(root.symlink("x", existing), Err(Errno::Exist), "{existing}");
    }
    assert_eq!(root.symlink("x", "a.txt/"), Err(Errno::Notdir));
    assert_eq!(root.symlink("x", "s2/"), Err(Errno::Noent));
    assert_eq!(root.symlink("x", "nothere/x"), Err(Errno::Noent));
    assert_eq!(root.symlink("x", ""), Err(Errno::Noent));
    assert_eq!(root.symlink("", "emptytarget"), Err(Errno::Noent));
    assert_eq!(root.symlink("/etc", "absolute"), Err(Errno::Perm));
    assert_eq!(root.symlink("x", "../s"), Err(Errno::Perm));
    assert_eq!(root.symlink("x", ".."), Err(Errno::Perm));
}

#[test]
fn link() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    root.link("a.txt", false, root, "a2").unwrap();
    assert_eq!(root.stat_at("a.txt", false).unwrap().nlink, 2);
    assert_eq!(root.stat_at("a2", false).unwrap().ino, root.stat_at("a.txt", false).unwrap().ino);
    assert_eq!(contents(file(root, "a2", read()).as_ref()), b"hello");
    // A symlink is linked itself.
    root.link("dl", false, root, "dl2").unwrap();
    assert_eq!(kind(root, "dl2", false), Ok(filetype::SYMBOLIC_LINK));
    root.link("dangle", false, root, "dangle2").unwrap();
    // Into another directory handle of the same file system.
    let d = subdir(root, "d");
    root.link("a.txt", false, d.as_ref(), "a3").unwrap();
    assert_eq!(contents(file(root, "d/a3", read()).as_ref()), b"hello");
    for dir in ["d", "d/", ".", "dl/"] {
        assert_eq!(root.link(dir, false, root, "x"), Err(Errno::Perm), "{dir}");
    }
    assert_eq!(root.link("a.txt", true, root, "x"), Err(Errno::Inval), "wasmtime refuses follow");
    assert_eq!(root.link("a.txt", false, root, "d"), Err(Errno::Exist));
    assert_eq!(root.link("a.txt", false, root, "a2"), Err(Errno::Exist));
    assert_eq!(root.link("a.txt", false, root, "."), Err(Errno::Exist));
    assert_eq!(root.link("a.txt", false, root, "d/"), Err(Errno::Exist));
    assert_eq!(root.link("a.txt", false, root, "x/"), Err(Errno::Noent));
    assert_eq!(root.link("a.txt/", false, root, "x"), Err(Errno::Notdir));
    assert_eq!(root.link("nothere", false, root, "x"), Err(Errno::Noent));
    assert_eq!(root.link("a.txt", false, root, "nothere/x"), Err(Errno::Noent));
    assert_eq!(root.link("a.txt", false, root, "../x"), Err(Errno::Perm));
    assert_eq!(root.link("a.txt", false, root, ".."), Err(Errno::Perm));
}

#[test]
fn rename_files() {
    let (fs, root) = sample();
    let root = root.as_ref();
    fs.insert_file("r1", b"one".to_vec()).unwrap();
    fs.insert_file("r2", b"two".to_vec()).unwrap();
    root.rename("r1", root, "r2").unwrap();
    assert_eq!(fs.read_file("r2").unwrap(), b"one");
    assert_eq!(kind(root, "r1", false), Err(Errno::Noent));
    root.rename("r2", root, "r2").unwrap();
    assert_eq!(fs.read_file("r2").unwrap(), b"one");
    // Two hard links to one file: nothing happens, both stay.
    root.link("a.txt", false, root, "a2").unwrap();
    root.rename("a.txt", root, "a2").unwrap();
    assert_eq!(kind(root, "a.txt", false), Ok(filetype::REGULAR_FILE));
    // A symlink moves itself; through a symlinked directory.
    root.rename("l", root, "dl/l").unwrap();
    assert_eq!(root.read_link("d/l").unwrap(), "a.txt");
    root.rename("r2", root, "dl/r2").unwrap();
    assert_eq!(fs.read_file("d/r2").unwrap(), b"one");
    assert_eq!(root.rename("a.txt", root, "d"), Err(Errno::Isdir));
    assert_eq!(root.rename("dl", root, "e"), Err(Errno::Isdir), "a symlink over a directory");
    assert_eq!(root.rename("a.txt", root, "x/"), Err(Errno::Notdir));
    assert_eq!(root.rename("a.txt/", root, "x"), Err(Errno::Notdir));
    assert_eq!(root.rename("dl/", root, "x"), Err(Errno::Notdir));
    assert_eq!(root.rename("nothere", root, "x"), Err(Errno::Noent));
    assert_eq!(root.rename("a.txt", root, "nothere/x"), Err(Errno::Noent));
    assert_eq!(root.rename("", root, "x"), Err(Errno::Noent));
    assert_eq!(root.rename("a.txt", root, ""), Err(Errno::Noent));
    assert_eq!(root.rename("a.txt", root, "../x"), Err(Errno::Perm));
}

#[test]
fn rename_directories() {
    let (fs, root) = sample();
    let root = root.as_ref();
    root.create_dir("ra").unwrap();
    root.create_dir("rb").unwrap();
    fs.insert_file("ra/x", b"x".to_vec()).unwrap();
    assert_eq!(root.rename("rb", root, "ra"), Err(Errno::Notempty));
    root.rename("ra", root, "rb").unwrap();
    assert_eq!(fs.read_file("rb/x").unwrap(), b"x");
    assert_eq!(kind(root, "ra", false), Err(Errno::Noent));
    root.rename("rb", root, "rc/").unwrap();
    root.rename("rc/", root, "d/rd").unwrap();
    assert_eq!(fs.read_file("d/rd/x").unwrap(), b"x");
    // `..` of a moved directory is its new parent.
    assert_eq!(root.stat_at("d/rd/..", false).unwrap().ino, root.stat_at("d", false).unwrap().ino);
    assert_eq!(root.rename("d/rd", root, "a.txt"), Err(Errno::Notdir));
    assert_eq!(root.rename("d/rd", root, "l"), Err(Errno::Notdir), "a directory over a symlink");
    assert_eq!(root.rename("d/rd/", root, "a.txt"), Err(Errno::Notdir));
    // Into itself.
    for inside in ["d/sub/x", "d/x", "d/rd/y"] {
        let from = if inside.starts_with("d/rd") { "d/rd" } else { "d" };
        assert_eq!(root.rename(from, root, inside), Err(Errno::Inval), "{from} -> {inside}");
    }
    // Over an ancestor: not empty.
    assert_eq!(root.rename("d/sub", root, "d"), Err(Errno::Notempty));
    root.rename("d/sub", root, "d/sub").unwrap();
    for dots in [".", "d/sub/.."] {
        assert_eq!(root.rename(dots, root, "x"), Err(Errno::Busy), "{dots}");
        assert_eq!(root.rename("e", root, dots), Err(Errno::Busy), "{dots}");
    }
    assert_eq!(root.rename("..", root, "x"), Err(Errno::Perm));
    assert_eq!(root.rename("e", root, ".."), Err(Errno::Perm));
}

#[test]
fn rename_between_directory_handles() {
    let (fs, root) = sample();
    let d = subdir(root.as_ref(), "d");
    root.rename("a.txt", d.as_ref(), "moved").unwrap();
    assert_eq!(fs.read_file("d/moved").unwrap(), b"hello");
    d.rename("moved", root.as_ref(), "back.txt").unwrap();
    assert_eq!(fs.read_file("back.txt").unwrap(), b"hello");
    // The root moved into its own subdirectory, seen from that handle.
    assert_eq!(root.rename("d", d.as_ref(), "x"), Err(Errno::Inval));
}

#[test]
fn another_file_system_is_exdev() {
    let (_fs, root) = sample();
    let other = MemFs::new();
    let elsewhere = other.root();
    assert_eq!(root.rename("a.txt", elsewhere.as_ref(), "a"), Err(Errno::Xdev));
    assert_eq!(root.link("a.txt", false, elsewhere.as_ref(), "a"), Err(Errno::Xdev));
    /// A directory of some other implementation.
    struct Foreign;
    impl WasiDir for Foreign {
        fn open(&self, _: &str, _: &OpenOptions) -> crate::WasiResult<Opened> {
            Err(Errno::Nosys)
        }
        fn create_dir(&self, _: &str) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn remove_dir(&self, _: &str) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn unlink_file(&self, _: &str) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn read_link(&self, _: &str) -> crate::WasiResult<String> {
            Err(Errno::Nosys)
        }
        fn symlink(&self, _: &str, _: &str) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn link(&self, _: &str, _: bool, _: &dyn WasiDir, _: &str) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn rename(&self, _: &str, _: &dyn WasiDir, _: &str) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn stat_at(&self, _: &str, _: bool) -> crate::WasiResult<crate::fs::Filestat> {
            Err(Errno::Nosys)
        }
        fn set_times_at(&self, _: &str, _: bool, _: SetTime, _: SetTime) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn stat(&self) -> crate::WasiResult<crate::fs::Filestat> {
            Err(Errno::Nosys)
        }
        fn set_times(&self, _: SetTime, _: SetTime) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn read_dir(&self) -> crate::WasiResult<Vec<crate::fs::DirEntry>> {
            Err(Errno::Nosys)
        }
        fn sync(&self) -> crate::WasiResult<()> {
            Err(Errno::Nosys)
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
    assert_eq!(root.rename("a.txt", &Foreign, "a"), Err(Errno::Xdev));
    assert_eq!(root.link("a.txt", false, &Foreign, "a"), Err(Errno::Xdev));
    assert_eq!(Foreign.open("x", &read()).err(), Some(Errno::Nosys));
}

#[test]
fn stat_at_and_stat() {
    let (fs, root) = sample();
    let root = root.as_ref();
    let st = root.stat_at("a.txt", false).unwrap();
    assert_eq!((st.filetype, st.size, st.nlink), (filetype::REGULAR_FILE, 5, 1));
    assert!(st.mtim > 0 && st.atim > 0 && st.ctim > 0);
    let link = root.stat_at("l", false).unwrap();
    assert_eq!((link.filetype, link.size), (filetype::SYMBOLIC_LINK, 5), "a symlink's size is its target's length");
    assert_eq!(root.stat_at("l", true).unwrap().ino, st.ino);
    // A directory's links: its entry, its `.`, each subdirectory's `..`.
    assert_eq!(root.stat_at("d", false).unwrap().nlink, 3);
    assert_eq!(root.stat_at("e", false).unwrap().nlink, 2);
    assert_eq!(root.stat().unwrap().nlink, 4);
    assert_eq!(root.stat().unwrap().filetype, filetype::DIRECTORY);
    assert_ne!(st.dev, MemFs::new().root().stat().unwrap().dev, "file systems are told apart");
    assert_eq!(st.dev, fs.read_only().stat().unwrap().dev);
}

#[test]
fn set_times_at_and_set_times() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    let before = root.stat_at("a.txt", false).unwrap();
    root.set_times_at("a.txt", false, SetTime::At(5), SetTime::At(7_000_000_000)).unwrap();
    let st = root.stat_at("a.txt", false).unwrap();
    assert_eq!((st.atim, st.mtim), (5, 7_000_000_000));
    assert!(st.ctim >= before.ctim);
    root.set_times_at("a.txt", false, SetTime::Unchanged, SetTime::Now).unwrap();
    let st = root.stat_at("a.txt", false).unwrap();
    assert_eq!(st.atim, 5);
    assert!(st.mtim >= before.mtim);
    // Without `follow` the symlink's own times change.
    root.set_times_at("l", false, SetTime::At(1), SetTime::At(2)).unwrap();
    assert_eq!(root.stat_at("l", false).unwrap().mtim, 2);
    assert_ne!(root.stat_at("l", true).unwrap().mtim, 2);
    root.set_times_at("l", true, SetTime::At(1), SetTime::At(3)).unwrap();
    assert_eq!(root.stat_at("a.txt", false).unwrap().mtim, 3);
    assert_eq!(root.set_times_at("nothere", false, SetTime::Now, SetTime::Now), Err(Errno::Noent));
    assert_eq!(root.set_times_at("a.txt/", false, SetTime::Now, SetTime::Now), Err(Errno::Notdir));
    assert_eq!(root.set_times_at("..", false, SetTime::Now, SetTime::Now), Err(Errno::Perm));
    root.set_times(SetTime::At(11), SetTime::At(12)).unwrap();
    assert_eq!(root.stat().unwrap().mtim, 12);
}

#[test]
fn changing_a_directory_touches_it() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    root.set_times_at("e", false, SetTime::At(1), SetTime::At(1)).unwrap();
    root.create_dir("e/x").unwrap();
    let st = root.stat_at("e", false).unwrap();
    assert!(st.mtim > 1 && st.ctim > 1);
    assert_eq!(st.atim, 1);
}

#[test]
fn read_dir_lists_dots_first_then_names_in_order() {
    let (fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(
        names(root),
        [".", "..", "a.txt", "abs", "absf", "d", "dangle", "dl", "e", "l", "loop1", "loop2", "up", "up2"]
    );
    let d = subdir(root, "d");
    let entries = d.read_dir().unwrap();
    let listed: Vec<(&str, u8)> = entries.iter().map(|e| (e.name.as_str(), e.filetype)).collect();
    assert_eq!(
        listed,
        [
            (".", filetype::DIRECTORY),
            ("..", filetype::DIRECTORY),
            ("back", filetype::SYMBOLIC_LINK),
            ("f", filetype::REGULAR_FILE),
            ("sub", filetype::DIRECTORY)
        ]
    );
    assert_eq!(entries[0].ino, d.stat().unwrap().ino);
    assert_eq!(entries[1].ino, root.stat().unwrap().ino);
    assert_eq!(entries[3].ino, root.stat_at("d/f", false).unwrap().ino);
    // A directory removed while open: empty, and nothing can be made in it.
    let e = subdir(root, "e");
    root.remove_dir("e").unwrap();
    assert_eq!(names(e.as_ref()), [".", ".."]);
    assert_eq!(e.create_dir("x"), Err(Errno::Noent));
    assert_eq!(open_err(e.as_ref(), "x", create()), Errno::Noent);
    assert_eq!(e.symlink("a", "x"), Err(Errno::Noent));
    assert_eq!(e.stat().unwrap().nlink, 0);
    drop(fs);
    assert_eq!(root.sync(), Ok(()));
}

#[test]
fn a_read_only_view_refuses_every_change_with_eperm() {
    let (fs, _root) = sample();
    let ro = fs.read_only();
    let ro = ro.as_ref();
    assert_eq!(contents(file(ro, "a.txt", read()).as_ref()), b"hello");
    assert_eq!(open_err(ro, "nothere", read()), Errno::Noent, "reading is allowed");
    assert_eq!(kind(ro, "..", false), Err(Errno::Perm));
    for options in [write(), create(), OpenOptions { truncate: true, ..read() }] {
        assert_eq!(open_err(ro, "a.txt", options), Errno::Perm);
        assert_eq!(open_err(ro, "new", options), Errno::Perm);
    }
    assert_eq!(open_err(ro, "d", write()), Errno::Perm);
    assert_eq!(ro.create_dir("x"), Err(Errno::Perm));
    assert_eq!(ro.remove_dir("e"), Err(Errno::Perm));
    assert_eq!(ro.unlink_file("a.txt"), Err(Errno::Perm));
    assert_eq!(ro.unlink_file("nothere"), Err(Errno::Perm), "before looking at the path, as wasmtime");
    assert_eq!(ro.symlink("a.txt", "s"), Err(Errno::Perm));
    assert_eq!(ro.link("a.txt", false, ro, "a2"), Err(Errno::Perm));
    assert_eq!(ro.rename("a.txt", ro, "a2"), Err(Errno::Perm));
    let rw = fs.root();
    assert_eq!(ro.rename("a.txt", rw.as_ref(), "a2"), Err(Errno::Perm));
    assert_eq!(rw.rename("a.txt", ro, "a2"), Err(Errno::Perm));
    assert_eq!(rw.link("a.txt", false, ro, "a2"), Err(Errno::Perm));
    assert_eq!(ro.set_times_at("a.txt", false, SetTime::Now, SetTime::Now), Err(Errno::Perm));
    assert_eq!(ro.set_times(SetTime::Now, SetTime::Now), Err(Errno::Perm));
    // What is opened from it is read-only too.
    let d = subdir(ro, "d");
    assert_eq!(d.create_dir("x"), Err(Errno::Perm));
    let f = file(ro, "a.txt", read());
    assert_eq!(f.set_times(SetTime::Now, SetTime::Now), Err(Errno::Perm));
    assert_eq!(f.write_at(b"x", 0), Err(Errno::Perm));
    assert_eq!(f.set_len(0), Err(Errno::Perm));
    assert_eq!(f.allocate(0, 10), Err(Errno::Perm));
    // Changes made elsewhere are seen through it.
    fs.insert_file("later", b"new".to_vec()).unwrap();
    assert_eq!(contents(file(ro, "later", read()).as_ref()), b"new");
    assert_eq!(fs.read_file("a.txt").unwrap(), b"hello");
}
