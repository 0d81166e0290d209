//! [`HostDir`] and its files: each method, the errno of each edge case
//! (as Linux, or as wasmtime where it answers for itself), and read-only
//! directories. Each test works in a fresh tree under the system's
//! temporary directory: `sandbox/` (the directory under test) and
//! `outside/sentinel.txt` (which nothing may touch), removed at the end.

use super::*;
use crate::fs::WasiFile;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

/// What the sentinel outside the sandbox holds.
pub(super) const SENTINEL: &[u8] = b"outside the sandbox\n";

/// One file or directory outside the sandbox: its path (under the tree's
/// root), size, modification and change times (seconds, nanoseconds), and
/// contents (for a file). Not the access time: taking a snapshot reads.
pub(super) type Seen = (PathBuf, u64, (i64, i64), (i64, i64), Vec<u8>);

/// A test's directory tree, removed when dropped (even after a failure).
pub(super) struct Tree {
    pub(super) root: PathBuf,
    /// Everything outside the sandbox, as made.
    made: Vec<Seen>,
}

impl Tree {
    pub(super) fn new(test: &str) -> Tree {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("wasmbeam-hostfs-{}-{n}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("sandbox")).expect("create the sandbox");
        fs::create_dir_all(root.join("outside")).expect("create outside");
        let sentinel = root.join("outside/sentinel.txt");
        fs::write(&sentinel, SENTINEL).expect("write the sentinel");
        // An old time, so that any touch shows.
        let old = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let file = fs::File::options().write(true).open(&sentinel).expect("open the sentinel");
        file.set_times(fs::FileTimes::new().set_accessed(old).set_modified(old)).expect("age the sentinel");
        let mut tree = Tree { root, made: Vec::new() };
        tree.made = tree.outside();
        tree
    }

    /// A path in the sandbox, for the host side of a test.
    pub(super) fn path(&self, rel: &str) -> PathBuf {
        self.root.join("sandbox").join(rel)
    }

    /// The sentinel's host path (absolute).
    pub(super) fn sentinel(&self) -> PathBuf {
        self.root.join("outside/sentinel.txt")
    }

    pub(super) fn dir(&self) -> HostDir {
        HostDir::open(self.root.join("sandbox"), false).expect("open the sandbox")
    }

    pub(super) fn read_only(&self) -> HostDir {
        HostDir::open(self.root.join("sandbox"), true).expect("open the sandbox")
    }

    pub(super) fn write(&self, rel: &str, data: &[u8]) {
        fs::write(self.path(rel), data).expect("write a test file");
    }

    pub(super) fn mkdir(&self, rel: &str) {
        fs::create_dir_all(self.path(rel)).expect("create a test directory");
    }

    pub(super) fn symlink(&self, target: &str, rel: &str) {
        symlink(target, self.path(rel)).expect("create a test symlink");
    }

    /// Everything outside the sandbox, in order.
    pub(super) fn outside(&self) -> Vec<Seen> {
        fn walk(root: &Path, path: &Path, out: &mut Vec<Seen>) {
            let mut names: Vec<_> = fs::read_dir(path).expect("list").map(|e| e.expect("entry").path()).collect();
            names.sort();
            for p in names {
                if p == root.join("sandbox") {
                    continue;
                }
                let meta = fs::symlink_metadata(&p).expect("stat");
                let data = if meta.is_file() { fs::read(&p).expect("read") } else { Vec::new() };
                let rel = p.strip_prefix(root).expect("under the root").to_owned();
                out.push((rel, meta.len(), (meta.mtime(), meta.mtime_nsec()), (meta.ctime(), meta.ctime_nsec()), data));
                if meta.is_dir() {
                    walk(root, &p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &self.root, &mut out);
        out
    }

    /// Checks that everything outside the sandbox is as it was made: the
    /// sentinel's contents and times, and no new file.
    pub(super) fn assert_outside_untouched(&self) {
        let now = self.outside();
        assert_eq!(now, self.made, "something outside the sandbox changed");
        assert_eq!(now[1].4, SENTINEL);
        assert_eq!(now[1].2, (1_000_000_000, 0));
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Reading options, following symlinks.
pub(super) fn reading() -> OpenOptions {
    OpenOptions { read: true, follow: true, ..OpenOptions::default() }
}

pub(super) fn writing() -> OpenOptions {
    OpenOptions { write: true, follow: true, ..OpenOptions::default() }
}

pub(super) fn creating() -> OpenOptions {
    OpenOptions { create: true, ..writing() }
}

/// The error of `result`, which must have failed.
pub(super) fn err<T>(result: WasiResult<T>) -> Errno {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

pub(super) fn as_file(opened: WasiResult<Opened>) -> Box<dyn WasiFile> {
    match opened {
        Ok(Opened::File(file)) => file,
        Ok(Opened::Dir(_)) => panic!("opened a directory, expected a file"),
        Err(e) => panic!("open failed: {e:?}"),
    }
}

pub(super) fn as_dir(opened: WasiResult<Opened>) -> Box<dyn WasiDir> {
    match opened {
        Ok(Opened::Dir(dir)) => dir,
        Ok(Opened::File(_)) => panic!("opened a file, expected a directory"),
        Err(e) => panic!("open failed: {e:?}"),
    }
}

fn read_all(file: &dyn WasiFile) -> Vec<u8> {
    let mut buf = vec![0; 4096];
    let n = file.read_at(&mut buf, 0).unwrap();
    buf.truncate(n);
    buf
}

/// A directory of some other file system.
struct Foreign;

impl WasiDir for Foreign {
    fn open(&self, _: &str, _: &OpenOptions) -> WasiResult<Opened> {
        Err(Errno::Nosys)
    }
    fn create_dir(&self, _: &str) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn remove_dir(&self, _: &str) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn unlink_file(&self, _: &str) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn read_link(&self, _: &str) -> WasiResult<String> {
        Err(Errno::Nosys)
    }
    fn symlink(&self, _: &str, _: &str) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn link(&self, _: &str, _: bool, _: &dyn WasiDir, _: &str) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn rename(&self, _: &str, _: &dyn WasiDir, _: &str) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn stat_at(&self, _: &str, _: bool) -> WasiResult<Filestat> {
        Err(Errno::Nosys)
    }
    fn set_times_at(&self, _: &str, _: bool, _: SetTime, _: SetTime) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn stat(&self) -> WasiResult<Filestat> {
        Err(Errno::Nosys)
    }
    fn set_times(&self, _: SetTime, _: SetTime) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn read_dir(&self) -> WasiResult<Vec<DirEntry>> {
        Err(Errno::Nosys)
    }
    fn sync(&self) -> WasiResult<()> {
        Err(Errno::Nosys)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[test]
fn files_are_created_written_read_and_resized() {
    let tree = Tree::new("files");
    let dir = tree.dir();
    let f = as_file(dir.open("a.txt", &OpenOptions { read: true, ..creating() }));
    assert_eq!(f.filetype(), filetype::REGULAR_FILE);
    assert_eq!(f.write_at(b"hello world", 0).unwrap(), 11);
    assert_eq!(f.write_at(b"W", 6).unwrap(), 1);
    assert_eq!(read_all(f.as_ref()), b"hello World");
    let mut buf = [0u8; 4];
    assert_eq!(f.read_at(&mut buf, 9).unwrap(), 2);
    assert_eq!(&buf[..2], b"ld");
    assert_eq!(f.read_at(&mut buf, 100).unwrap(), 0, "past the end");
    f.set_len(5).unwrap();
    assert_eq!(fs::read(tree.path("a.txt")).unwrap(), b"hello");
    f.set_len(8).unwrap();
    assert_eq!(fs::read(tree.path("a.txt")).unwrap(), b"hello\0\0\0");
    f.sync().unwrap();
    f.datasync().unwrap();
    assert_eq!(err(f.allocate(0, 100)), Errno::Notsup, "as wasmtime");
    // Writing past the end extends the file.
    f.write_at(b"!", 10).unwrap();
    assert_eq!(f.stat().unwrap().size, 11);
    // Truncation on open.
    let g = as_file(dir.open("a.txt", &OpenOptions { truncate: true, ..writing() }));
    assert_eq!(g.stat().unwrap().size, 0);
    // A file opened for reading only cannot be written.
    let r = as_file(dir.open("a.txt", &reading()));
    assert_eq!(err(r.write_at(b"x", 0)), Errno::Badf);
}

#[test]
fn stat_reports_what_the_host_has() {
    let tree = Tree::new("stat");
    tree.write("f", b"12345");
    tree.mkdir("d");
    let dir = tree.dir();
    let host = fs::metadata(tree.path("f")).unwrap();
    let st = dir.stat_at("f", true).unwrap();
    assert_eq!((st.dev, st.ino, st.nlink, st.size), (host.dev(), host.ino(), 1, 5));
    assert_eq!(st.filetype, filetype::REGULAR_FILE);
    let ns = |s: i64, n: i64| (s * 1_000_000_000 + n) as u64;
    assert_eq!(st.mtim, ns(host.mtime(), host.mtime_nsec()));
    assert_eq!(st.atim, ns(host.atime(), host.atime_nsec()));
    assert_eq!(st.ctim, ns(host.ctime(), host.ctime_nsec()));
    let f = as_file(dir.open("f", &reading()));
    assert_eq!(f.stat().unwrap(), st, "fd_filestat_get and path_filestat_get agree");
    let d = dir.stat_at("d", false).unwrap();
    assert_eq!(d.filetype, filetype::DIRECTORY);
    assert_eq!(d.ino, fs::metadata(tree.path("d")).unwrap().ino());
    let own = dir.stat().unwrap();
    assert_eq!(own.filetype, filetype::DIRECTORY);
    assert_eq!(own.ino, fs::metadata(tree.path("")).unwrap().ino());
    assert_eq!(err(dir.stat_at("missing", true)), Errno::Noent);
    assert_eq!(err(dir.stat_at("f/", true)), Errno::Notdir, "a trailing slash on a file");
    assert_eq!(err(dir.stat_at("f/x", true)), Errno::Notdir);
    assert_eq!(nanos(-5, 0), 0, "before the epoch");
}

#[test]
fn dangling_symlinks_and_loops() {
    let tree = Tree::new("dangling");
    tree.symlink("nowhere", "dangling");
    tree.symlink("loop2", "loop1");
    tree.symlink("loop1", "loop2");
    let dir = tree.dir();
    assert_eq!(err(dir.stat_at("dangling", true)), Errno::Noent);
    let st = dir.stat_at("dangling", false).unwrap();
    assert_eq!((st.filetype, st.size), (filetype::SYMBOLIC_LINK, 7));
    assert_eq!(err(dir.open("dangling", &reading())), Errno::Noent);
    assert_eq!(err(dir.open("loop1", &reading())), Errno::Loop);
    assert_eq!(err(dir.stat_at("loop1", true)), Errno::Loop);
    assert_eq!(dir.stat_at("loop1", false).unwrap().filetype, filetype::SYMBOLIC_LINK);
    // Creating through a dangling symlink creates its target, inside.
    as_file(dir.open("dangling", &creating()));
    assert!(tree.path("nowhere").is_file());
}

#[test]
fn open_follows_symlinks_only_when_asked() {
    let tree = Tree::new("follow");
    tree.write("target.txt", b"target");
    tree.symlink("target.txt", "link");
    tree.mkdir("sub");
    tree.symlink("sub", "sublink");
    let dir = tree.dir();
    assert_eq!(read_all(as_file(dir.open("link", &reading())).as_ref()), b"target");
    let nofollow = OpenOptions { follow: false, ..reading() };
    assert_eq!(err(dir.open("link", &nofollow)), Errno::Loop, "O_NOFOLLOW on the last component");
    assert_eq!(err(dir.open("sublink", &nofollow)), Errno::Loop);
    // Symlinks before the last component are followed anyway.
    tree.write("sub/inner.txt", b"inner");
    assert_eq!(read_all(as_file(dir.open("sublink/inner.txt", &nofollow)).as_ref()), b"inner");
    dir.open("sublink", &reading()).map(|_| ()).unwrap();
}

#[test]
fn open_errors_are_those_of_linux() {
    let tree = Tree::new("open-errors");
    tree.write("f", b"data");
    tree.mkdir("d");
    let dir = tree.dir();
    assert_eq!(err(dir.open("missing", &reading())), Errno::Noent);
    assert_eq!(err(dir.open("missing/x", &creating())), Errno::Noent);
    let exclusive = OpenOptions { exclusive: true, ..creating() };
    assert_eq!(err(dir.open("f", &exclusive)), Errno::Exist);
    assert_eq!(err(dir.open("d", &exclusive)), Errno::Exist);
    as_file(dir.open("new", &exclusive));
    assert_eq!(err(dir.open("f/", &reading())), Errno::Notdir, "a trailing slash on a file");
    assert_eq!(err(dir.open("f/.", &reading())), Errno::Notdir);
    let directory = OpenOptions { directory: true, ..reading() };
    assert_eq!(err(dir.open("f", &directory)), Errno::Notdir);
    assert_eq!(err(dir.open("d", &writing())), Errno::Isdir, "a directory opened for writing");
    assert_eq!(err(dir.open("d", &creating())), Errno::Isdir);
    let bad = OpenOptions { directory: true, ..creating() };
    assert_eq!(err(dir.open("newdir", &bad)), Errno::Inval, "as wasmtime");
    assert_eq!(err(dir.open("", &reading())), Errno::Noent);
    // What opens as a directory is one, with `directory` or without.
    dir.open("d", &directory).map(|_| ()).unwrap();
    dir.open("d/", &reading()).map(|_| ()).unwrap();
    dir.open(".", &reading()).map(|_| ()).unwrap();
}

#[test]
fn opened_directories_resolve_paths_inside_themselves() {
    let tree = Tree::new("subdir");
    tree.mkdir("d/e");
    tree.write("d/e/f.txt", b"deep");
    let dir = tree.dir();
    let d = as_dir(dir.open("d", &reading()));
    assert_eq!(d.stat().unwrap().ino, fs::metadata(tree.path("d")).unwrap().ino());
    assert_eq!(read_all(as_file(d.open("e/f.txt", &reading())).as_ref()), b"deep");
    as_file(d.open("e/g.txt", &creating()));
    assert!(tree.path("d/e/g.txt").is_file());
    // `..` may not leave the directory it is resolved in, even when that
    // is itself inside the preopen.
    assert_eq!(err(d.open("../d/e/f.txt", &reading())), Errno::Perm);
    assert_eq!(d.read_dir().unwrap().iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), [".", "..", "e"]);
}

#[test]
fn directories_are_created_and_removed() {
    let tree = Tree::new("dirs");
    tree.write("f", b"");
    let dir = tree.dir();
    dir.create_dir("d").unwrap();
    assert!(tree.path("d").is_dir());
    dir.create_dir("d/e/").unwrap();
    assert!(tree.path("d/e").is_dir());
    assert_eq!(err(dir.create_dir("d")), Errno::Exist);
    assert_eq!(err(dir.create_dir("f")), Errno::Exist);
    assert_eq!(err(dir.create_dir("missing/x")), Errno::Noent);
    assert_eq!(err(dir.create_dir("f/x")), Errno::Notdir);
    assert_eq!(err(dir.remove_dir("d")), Errno::Notempty);
    assert_eq!(err(dir.remove_dir("f")), Errno::Notdir);
    assert_eq!(err(dir.remove_dir("missing")), Errno::Noent);
    dir.remove_dir("d/e").unwrap();
    dir.remove_dir("d").unwrap();
    assert!(!tree.path("d").exists());
}

#[test]
fn unlink_removes_files_and_symlinks_not_directories() {
    let tree = Tree::new("unlink");
    tree.write("f", b"");
    tree.mkdir("d");
    tree.symlink("d", "dlink");
    tree.symlink("f", "flink");
    let dir = tree.dir();
    assert_eq!(err(dir.unlink_file("d")), Errno::Isdir, "as wasmtime on Linux");
    assert_eq!(err(dir.unlink_file("f/")), Errno::Notdir);
    assert_eq!(err(dir.unlink_file("missing")), Errno::Noent);
    dir.unlink_file("dlink").unwrap();
    dir.unlink_file("flink").unwrap();
    assert!(tree.path("d").is_dir() && tree.path("f").is_file(), "the targets stay");
    dir.unlink_file("f").unwrap();
    assert!(!tree.path("f").exists());
}

#[test]
fn symlinks_are_made_and_read() {
    let tree = Tree::new("symlinks");
    tree.write("f", b"");
    let dir = tree.dir();
    dir.symlink("f", "l").unwrap();
    dir.symlink("../../wherever", "far").unwrap();
    assert_eq!(dir.read_link("l").unwrap(), "f");
    assert_eq!(dir.read_link("far").unwrap(), "../../wherever", "stored as given");
    assert_eq!(fs::read_link(tree.path("far")).unwrap(), PathBuf::from("../../wherever"));
    assert_eq!(err(dir.symlink("f", "l")), Errno::Exist);
    assert_eq!(err(dir.symlink("f", "missing/l")), Errno::Noent);
    assert_eq!(err(dir.read_link("f")), Errno::Inval, "not a symlink");
    assert_eq!(err(dir.read_link("missing")), Errno::Noent);
    assert_eq!(err(dir.symlink("/etc", "abs")), Errno::Perm, "an absolute target, as wasmtime");
    assert!(!tree.path("abs").exists());
}

#[test]
fn hard_links_within_and_across_directories() {
    let tree = Tree::new("links");
    tree.write("f", b"linked");
    tree.mkdir("d");
    tree.symlink("f", "l");
    let dir = tree.dir();
    dir.link("f", false, &dir, "g").unwrap();
    assert_eq!(dir.stat_at("g", false).unwrap().nlink, 2);
    let d = as_dir(dir.open("d", &reading()));
    dir.link("f", false, d.as_ref(), "h").unwrap();
    assert_eq!(fs::read(tree.path("d/h")).unwrap(), b"linked");
    d.link("h", false, &dir, "back").unwrap();
    assert_eq!(dir.stat_at("back", false).unwrap().nlink, 4);
    // The symlink itself is linked, not its target.
    dir.link("l", false, &dir, "l2").unwrap();
    assert_eq!(dir.stat_at("l2", false).unwrap().filetype, filetype::SYMBOLIC_LINK);
    assert_eq!(err(dir.link("l", true, &dir, "l3")), Errno::Inval, "following is refused, as wasmtime");
    assert_eq!(err(dir.link("f", false, &dir, "g")), Errno::Exist);
    assert_eq!(err(dir.link("missing", false, &dir, "x")), Errno::Noent);
    assert_eq!(err(dir.link("d", false, &dir, "d2")), Errno::Perm, "no hard links to directories");
    assert_eq!(err(dir.link("f", false, &Foreign, "x")), Errno::Xdev);
}

#[test]
fn renames_replace_files_and_empty_directories() {
    let tree = Tree::new("rename");
    tree.write("a", b"a");
    tree.write("b", b"b");
    tree.mkdir("d1/inner");
    tree.mkdir("empty");
    tree.mkdir("full/x");
    let dir = tree.dir();
    dir.rename("a", &dir, "b").unwrap();
    assert_eq!(fs::read(tree.path("b")).unwrap(), b"a");
    assert!(!tree.path("a").exists());
    dir.rename("d1", &dir, "empty").unwrap();
    assert!(tree.path("empty/inner").is_dir(), "a directory over an empty one");
    assert_eq!(err(dir.rename("empty", &dir, "full")), Errno::Notempty);
    assert_eq!(err(dir.rename("b", &dir, "full")), Errno::Isdir);
    assert_eq!(err(dir.rename("full", &dir, "b")), Errno::Notdir);
    assert_eq!(err(dir.rename("missing", &dir, "c")), Errno::Noent);
    assert_eq!(err(dir.rename("b/", &dir, "c")), Errno::Notdir);
    assert_eq!(err(dir.rename("full", &dir, "full/x/y")), Errno::Inval, "into itself");
    let full = as_dir(dir.open("full", &reading()));
    dir.rename("b", full.as_ref(), "moved").unwrap();
    assert_eq!(fs::read(tree.path("full/moved")).unwrap(), b"a");
    full.rename("moved", &dir, "back").unwrap();
    assert!(tree.path("back").is_file());
    assert_eq!(err(dir.rename("back", &Foreign, "x")), Errno::Xdev);
}

#[test]
fn times_are_set_by_path_and_by_fd() {
    let tree = Tree::new("times");
    tree.write("f", b"");
    tree.symlink("f", "l");
    let dir = tree.dir();
    let at = |s: u64| SetTime::At(s * 1_000_000_000 + 123);
    dir.set_times_at("f", true, at(1_000), at(2_000)).unwrap();
    let st = dir.stat_at("f", true).unwrap();
    assert_eq!((st.atim, st.mtim), (1_000_000_000_123, 2_000_000_000_123));
    dir.set_times_at("f", true, SetTime::Unchanged, at(3_000)).unwrap();
    let st = dir.stat_at("f", true).unwrap();
    assert_eq!((st.atim, st.mtim), (1_000_000_000_123, 3_000_000_000_123));
    // Through the symlink, or on it.
    dir.set_times_at("l", true, at(4_000), at(4_000)).unwrap();
    assert_eq!(dir.stat_at("f", true).unwrap().mtim, 4_000_000_000_123);
    dir.set_times_at("l", false, at(5_000), at(5_000)).unwrap();
    assert_eq!(dir.stat_at("l", false).unwrap().mtim, 5_000_000_000_123);
    assert_eq!(dir.stat_at("f", true).unwrap().mtim, 4_000_000_000_123, "the target is left alone");
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 - 1_000_000_000;
    dir.set_times_at("f", false, SetTime::Now, SetTime::Unchanged).unwrap();
    assert!(dir.stat_at("f", true).unwrap().atim >= before);
    let f = as_file(dir.open("f", &reading()));
    f.set_times(at(6_000), at(7_000)).unwrap();
    let st = f.stat().unwrap();
    assert_eq!((st.atim, st.mtim), (6_000_000_000_123, 7_000_000_000_123));
    f.set_times(SetTime::Unchanged, SetTime::Now).unwrap();
    assert!(f.stat().unwrap().mtim >= before);
    dir.set_times(at(8_000), at(9_000)).unwrap();
    assert_eq!(dir.stat().unwrap().mtim, 9_000_000_000_123);
    assert_eq!(err(dir.set_times_at("missing", true, SetTime::Now, SetTime::Now)), Errno::Noent);
}

#[test]
fn read_dir_lists_dots_then_sorted_entries() {
    let tree = Tree::new("readdir");
    for name in ["zeta", "alpha", "Mid", "beta.txt"] {
        tree.write(name, b"");
    }
    tree.mkdir("sub");
    tree.symlink("alpha", "link");
    let dir = tree.dir();
    let entries = dir.read_dir().unwrap();
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, [".", "..", "Mid", "alpha", "beta.txt", "link", "sub", "zeta"]);
    let own = fs::metadata(tree.path("")).unwrap().ino();
    assert_eq!((entries[0].filetype, entries[0].ino), (filetype::DIRECTORY, own));
    assert_eq!((entries[1].filetype, entries[1].ino), (filetype::DIRECTORY, own));
    for e in &entries[2..] {
        assert_eq!(e.ino, fs::symlink_metadata(tree.path(&e.name)).unwrap().ino(), "{}", e.name);
    }
    let types: Vec<_> = entries[2..].iter().map(|e| e.filetype).collect();
    use filetype::{DIRECTORY as D, REGULAR_FILE as F, SYMBOLIC_LINK as L};
    assert_eq!(types, [F, F, F, L, D, F]);
    assert_eq!(dir.read_dir().unwrap(), entries, "stable between calls");
    dir.sync().unwrap();
}

#[test]
fn read_only_directories_refuse_every_change() {
    let tree = Tree::new("read-only");
    tree.write("f", b"data");
    tree.mkdir("d");
    tree.mkdir("full/x");
    tree.symlink("f", "l");
    let rw = tree.dir();
    let ro = tree.read_only();
    assert!(ro.is_read_only() && !rw.is_read_only());
    let listing = ro.read_dir().unwrap();
    let perm = Errno::Perm;
    assert_eq!(err(ro.open("f", &writing())), perm);
    assert_eq!(err(ro.open("new", &creating())), perm);
    assert_eq!(err(ro.open("f", &OpenOptions { truncate: true, ..reading() })), perm);
    assert_eq!(err(ro.open("new", &OpenOptions { exclusive: true, ..creating() })), perm);
    assert_eq!(err(ro.create_dir("nd")), perm);
    assert_eq!(err(ro.remove_dir("d")), perm);
    assert_eq!(err(ro.unlink_file("f")), perm);
    assert_eq!(err(ro.symlink("f", "l2")), perm);
    assert_eq!(err(ro.link("f", false, &ro, "g")), perm);
    assert_eq!(err(ro.link("f", false, &rw, "g")), perm, "from a read-only directory");
    assert_eq!(err(rw.link("f", false, &ro, "g")), perm, "into a read-only directory");
    assert_eq!(err(ro.rename("f", &ro, "g")), perm);
    assert_eq!(err(rw.rename("f", &ro, "g")), perm);
    assert_eq!(err(ro.rename("f", &rw, "g")), perm);
    assert_eq!(err(ro.set_times_at("f", true, SetTime::Now, SetTime::Now)), perm);
    assert_eq!(err(ro.set_times(SetTime::Now, SetTime::Now)), perm);
    // Reading works, and what is opened is read-only too.
    let f = as_file(ro.open("f", &reading()));
    assert_eq!(read_all(f.as_ref()), b"data");
    assert_eq!(err(f.set_len(0)), perm);
    assert_eq!(err(f.set_times(SetTime::Now, SetTime::Now)), perm);
    assert_eq!(err(f.allocate(0, 10)), perm);
    assert_eq!(err(f.write_at(b"x", 0)), Errno::Badf, "opened for reading only");
    let d = as_dir(ro.open("d", &reading()));
    assert_eq!(err(d.create_dir("nd")), perm);
    assert_eq!(err(d.open("new", &creating())), perm);
    assert_eq!(ro.stat_at("f", true).unwrap().size, 4);
    assert_eq!(ro.read_link("l").unwrap(), "f");
    ro.stat().unwrap();
    ro.sync().unwrap();
    assert_eq!(ro.read_dir().unwrap(), listing, "nothing changed");
    assert_eq!(fs::read(tree.path("f")).unwrap(), b"data");
    tree.assert_outside_untouched();
}

#[test]
fn opening_a_host_directory() {
    let tree = Tree::new("open-host");
    tree.write("f", b"");
    let missing = HostDir::open(tree.path("missing"), false).map(|_| ()).unwrap_err();
    assert_eq!(errno(missing), Errno::Noent);
    let not_dir = HostDir::open(tree.path("f"), false).map(|_| ()).unwrap_err();
    assert_eq!(errno(not_dir), Errno::Notdir);
    // What cap-std reports for an escape becomes EPERM; OS errors keep
    // their code.
    let escape = io::Error::new(io::ErrorKind::PermissionDenied, "a path led outside of the filesystem");
    assert_eq!(errno(escape), Errno::Perm);
    assert_eq!(errno(io::Error::from_raw_os_error(libc::EACCES)), Errno::Acces);
}
