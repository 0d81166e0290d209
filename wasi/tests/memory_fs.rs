//! WASI programs (C, built with wasi-libc; sources and `.wasm` in
//! `tests/programs/`) run over the in-memory file system, compared with
//! what the same programs do under wasmtime over host directories on Linux
//! (`tests/programs/*.wasmtime.txt`, made by `wasmtime_oracle.py` from the
//! same fixture): their output, exit status, and the files they leave.

use wasmbeam_runtime::{Engine, Linker, Module, Store};
use wasmbeam_wasi::fs::memory::MemFs;
use wasmbeam_wasi::{Output, WasiBuilder};

fn program_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

/// The fixture of each program: what its writable preopen (`/data`) and
/// its read-only one (`/ro`) hold before it runs. `wasmtime_oracle.py`
/// makes the same one in host directories.
fn fixture(program: &str) -> (MemFs, MemFs) {
    let (rw, ro) = (MemFs::new(), MemFs::new());
    match program {
        "errno_probe" => {
            rw.insert_symlink("abs_host", "/").unwrap();
            rw.insert_symlink("absf_host", "/etc/passwd").unwrap();
            rw.insert_symlink("absd_host", "/tmp").unwrap();
            ro.insert_dir("rd").unwrap();
            ro.insert_file("r.txt", b"read only".to_vec()).unwrap();
        }
        "files" => {
            rw.insert_file("input.txt", b"first line\nsecond line\nthird line\n".to_vec()).unwrap();
            rw.insert_file("keep/old.txt", b"to be removed\n".to_vec()).unwrap();
        }
        _ => panic!("no fixture for {program}"),
    }
    (rw, ro)
}

/// Runs `program` over its fixture; returns its stdout and exit status,
/// and the writable file system as it left it.
fn run(program: &str) -> (String, i32, MemFs) {
    let wasm = std::fs::read(program_path(&format!("{program}.wasm"))).expect("the program is built");
    let (rw, ro) = fixture(program);
    let wasi = WasiBuilder::new()
        .arg(program)
        .stdout(Output::Capture(Vec::new()))
        .preopen(rw.root(), "/data")
        .preopen(ro.read_only(), "/ro")
        .build();
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm).expect("a valid module");
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store);
    let status = wasmbeam_wasi::run(&mut store, &linker, &module, &wasi).expect("the program runs");
    let stdout = String::from_utf8(wasi.take_stdout()).expect("UTF-8 output");
    (stdout, status, rw)
}

/// `bytes` as Python's `repr` writes a `bytes` object.
fn python_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') { b'"' } else { b'\'' };
    let mut out = format!("b{}", quote as char);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b == quote => out.push_str(&format!("\\{}", b as char)),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// What `wasmtime_oracle.py` prints for a run: stdout, exit status, files.
fn report(stdout: &str, status: i32, fs: &MemFs) -> String {
    let mut report = format!("{stdout}--- exit status {status}\n");
    for (path, data) in fs.files() {
        report.push_str(&format!("--- {path}: {}\n", python_repr(&data)));
    }
    report
}

/// Runs `program` and compares its report with wasmtime's, line by line.
fn same_as_wasmtime(program: &str) {
    let (stdout, status, fs) = run(program);
    let ours = report(&stdout, status, &fs);
    // Shown with `--nocapture`, to compare by hand.
    println!("==== {program} over MemFs\n{ours}==== end");
    let expected = std::fs::read_to_string(program_path(&format!("{program}.wasmtime.txt"))).expect("recorded");
    let (ours, theirs): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), expected.lines().collect());
    let differences: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  wasmbeam: {a}\n  wasmtime: {b}"))
        .collect();
    assert!(
        differences.is_empty() && ours.len() == theirs.len(),
        "{program} differs from wasmtime ({} lines against {}):\n{}",
        ours.len(),
        theirs.len(),
        differences.join("\n")
    );
}

#[test]
fn errno_probe_gives_what_wasmtime_gives() {
    same_as_wasmtime("errno_probe");
}

#[test]
fn files_program_reads_writes_lists_renames_and_deletes() {
    same_as_wasmtime("files");
    let (stdout, status, fs) = run("files");
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("read it back: 10 'FIRST LINE'"), "{stdout}");
    // What it left, read back as data.
    assert_eq!(fs.read_file("out/lines.txt").unwrap(), b"3 lines\nand more\n");
    assert_eq!(fs.read_file("/out/sub/input.txt").unwrap(), b"first line\nsecond line\nthird line\n");
    assert_eq!(fs.read_file("input.txt"), None, "renamed away");
    assert_eq!(fs.read_file("out/UPPER.txt"), None, "unlinked");
    assert_eq!(fs.read_file("out/latest"), None, "a dangling symlink");
    let paths: Vec<String> = fs.files().into_iter().map(|(path, _)| path).collect();
    assert_eq!(paths, ["/out/lines.txt", "/out/sub/input.txt", "/out/sub/lines-again.txt"]);
}
