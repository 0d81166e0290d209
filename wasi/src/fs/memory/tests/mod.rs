//! Unit tests of the in-memory file system, through the [`WasiDir`] and
//! [`WasiFile`] traits as the WASI functions call them, and through the
//! embedder's API. The `errno` each case expects is what wasmtime gives on
//! Linux (see `tests/programs/errno_probe.wasmtime.txt`).

mod embedder;
mod files;
mod ops;
mod paths;

use super::MemFs;
use crate::abi::filetype;
use crate::errno::Errno;
use crate::fs::{OpenOptions, Opened, SetTime, WasiDir, WasiFile};

pub(super) fn read() -> OpenOptions {
    OpenOptions { read: true, follow: true, ..OpenOptions::default() }
}

pub(super) fn write() -> OpenOptions {
    OpenOptions { read: true, write: true, follow: true, ..OpenOptions::default() }
}

pub(super) fn create() -> OpenOptions {
    OpenOptions { create: true, ..write() }
}

/// Opens the regular file `path`.
pub(super) fn file(dir: &dyn WasiDir, path: &str, options: OpenOptions) -> Box<dyn WasiFile> {
    match dir.open(path, &options) {
        Ok(Opened::File(file)) => file,
        Ok(Opened::Dir(_)) => panic!("{path} is a directory"),
        Err(e) => panic!("{path}: {e:?}"),
    }
}

/// Opens the directory `path`.
pub(super) fn subdir(dir: &dyn WasiDir, path: &str) -> Box<dyn WasiDir> {
    match dir.open(path, &read()) {
        Ok(Opened::Dir(dir)) => dir,
        Ok(Opened::File(_)) => panic!("{path} is a file"),
        Err(e) => panic!("{path}: {e:?}"),
    }
}

/// The error opening `path` gives.
pub(super) fn open_err(dir: &dyn WasiDir, path: &str, options: OpenOptions) -> Errno {
    match dir.open(path, &options) {
        Ok(_) => panic!("{path} opened"),
        Err(e) => e,
    }
}

/// What `path` is (following a symlink in the last component if
/// `follow`), as a filetype.
pub(super) fn kind(dir: &dyn WasiDir, path: &str, follow: bool) -> Result<u8, Errno> {
    dir.stat_at(path, follow).map(|st| st.filetype)
}

/// A file's whole data, read through the trait.
pub(super) fn contents(file: &dyn WasiFile) -> Vec<u8> {
    let mut data = vec![0; file.stat().unwrap().size as usize];
    let n = file.read_at(&mut data, 0).unwrap();
    data.truncate(n);
    data
}

/// The names `read_dir` lists.
pub(super) fn names(dir: &dyn WasiDir) -> Vec<String> {
    dir.read_dir().unwrap().into_iter().map(|e| e.name).collect()
}

/// A small tree, the root of it, and a read-only view of it:
///
/// ```text
/// a.txt = "hello"        l -> a.txt       dangle -> nothere
/// d/f = "in d"           dl -> d          loop1 -> loop2 -> loop1
/// d/sub/                 up -> ..         up2 -> ../..
/// d/back -> ../a.txt     abs -> /         absf -> /a.txt
/// e/
/// ```
pub(super) fn sample() -> (MemFs, Box<dyn WasiDir>) {
    let fs = MemFs::new();
    fs.insert_file("a.txt", b"hello".to_vec()).unwrap();
    fs.insert_file("d/f", b"in d".to_vec()).unwrap();
    fs.insert_dir("d/sub").unwrap();
    fs.insert_dir("e").unwrap();
    for (path, target) in [
        ("d/back", "../a.txt"),
        ("l", "a.txt"),
        ("dl", "d"),
        ("dangle", "nothere"),
        ("loop1", "loop2"),
        ("loop2", "loop1"),
        ("up", ".."),
        ("up2", "../.."),
        ("abs", "/"),
        ("absf", "/a.txt"),
    ] {
        fs.insert_symlink(path, target).unwrap();
    }
    let root = fs.root();
    (fs, root)
}

#[test]
fn the_sample_is_what_it_says() {
    let (_fs, root) = sample();
    assert_eq!(kind(root.as_ref(), "a.txt", false), Ok(filetype::REGULAR_FILE));
    assert_eq!(kind(root.as_ref(), "d", false), Ok(filetype::DIRECTORY));
    assert_eq!(kind(root.as_ref(), "l", false), Ok(filetype::SYMBOLIC_LINK));
    assert_eq!(contents(file(root.as_ref(), "d/f", read()).as_ref()), b"in d");
}
