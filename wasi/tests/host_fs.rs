//! `tests/programs/host_fs.wasm` (built from `host_fs.c` with clang-14 and
//! committed; nothing is built here) run through `wasmbeam_wasi::run` with
//! a temporary host directory preopened as `/data` and a read-only one as
//! `/ro`. Its output must be `host_fs.expected`, which is what wasmtime
//! printed for the same setup (wasmtime 50, `WasiConfig.preopen_dir`, the
//! second with `fs_mutable=False`), and it must leave the files it says.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use wasmbeam_runtime::{Engine, Linker, Module, Store};
use wasmbeam_wasi::fs::host::HostDir;
use wasmbeam_wasi::{Output, WasiBuilder};

/// A temporary directory, removed when dropped.
struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn a_c_program_works_in_a_preopened_host_directory() {
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let wasm = fs::read(programs.join("host_fs.wasm")).unwrap();
    let expected = fs::read_to_string(programs.join("host_fs.expected")).unwrap();

    let temp = Temp(std::env::temp_dir().join(format!("wasmbeam-host-fs-{}", std::process::id())));
    let _ = fs::remove_dir_all(&temp.0);
    let (data, ro) = (temp.0.join("data"), temp.0.join("ro"));
    fs::create_dir_all(&data).unwrap();
    fs::create_dir_all(&ro).unwrap();
    fs::write(ro.join("keep.txt"), "keep\n").unwrap();
    let keep_before = fs::metadata(ro.join("keep.txt")).unwrap();

    let wasi = WasiBuilder::new()
        .arg("host_fs")
        .stdout(Output::Capture(Vec::new()))
        .stderr(Output::Capture(Vec::new()))
        .preopen(Box::new(HostDir::open(&data, false).unwrap()), "/data")
        .preopen(Box::new(HostDir::open(&ro, true).unwrap()), "/ro")
        .build();
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm).unwrap();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store);
    let status = wasmbeam_wasi::run(&mut store, &linker, &module, &wasi).unwrap();
    let stdout = String::from_utf8(wasi.take_stdout()).unwrap();
    let stderr = String::from_utf8(wasi.take_stderr()).unwrap();
    assert_eq!(status, 0, "stderr: {stderr}");
    assert_eq!(stdout, expected, "the output differs from wasmtime's");

    // What it leaves.
    assert_eq!(names(&temp.0), ["data", "ro"], "nothing escaped");
    assert_eq!(names(&data), ["dir", "result.txt"]);
    assert_eq!(names(&data.join("dir")), ["hard.txt", "renamed.txt"]);
    assert_eq!(fs::read(data.join("result.txt")).unwrap(), b"hello, world\nmore!");
    assert_eq!(fs::read(data.join("dir/renamed.txt")).unwrap(), b"renamed\n");
    let (renamed, hard) =
        (fs::metadata(data.join("dir/renamed.txt")).unwrap(), fs::metadata(data.join("dir/hard.txt")).unwrap());
    assert_eq!((renamed.ino(), renamed.nlink()), (hard.ino(), 2), "a hard link");
    assert_eq!((renamed.mtime(), renamed.mtime_nsec()), (2000, 7), "utimensat");
    // The read-only directory is as it was.
    assert_eq!(names(&ro), ["keep.txt"]);
    assert_eq!(fs::read(ro.join("keep.txt")).unwrap(), b"keep\n");
    let keep = fs::metadata(ro.join("keep.txt")).unwrap();
    assert_eq!(
        (keep.mtime(), keep.mtime_nsec(), keep.ctime()),
        (keep_before.mtime(), keep_before.mtime_nsec(), keep_before.ctime())
    );
}
