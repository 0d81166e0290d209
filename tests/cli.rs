//! End-to-end tests of the `wasmbeam` binary: outputs and exit statuses.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The binary under test, run through `WASMBEAM_TEST_RUNNER` when that is
/// set (a command and its arguments, split at spaces: scripts/test-aarch64
/// sets it to qemu-aarch64 for the cross-built binary).
fn wasmbeam(args: &[&str]) -> Output {
    let runner = std::env::var("WASMBEAM_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(env!("CARGO_BIN_EXE_wasmbeam"));
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_wasmbeam")),
    };
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("the wasmbeam binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A file in a fresh temporary directory of this test.
fn temp_file(test: &str, name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmbeam-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

#[test]
fn invoke_demo() {
    let fib = wasmbeam(&["invoke", "examples/demo.wat", "fib", "20"]);
    assert!(fib.status.success(), "{}", stderr(&fib));
    assert_eq!(stdout(&fib), "6765\n");
    let primes = wasmbeam(&["invoke", "examples/demo.wat", "count_primes", "0x186a0"]);
    assert!(primes.status.success(), "{}", stderr(&primes));
    assert_eq!(stdout(&primes), "9592\n"); // primes below 100000
}

#[test]
fn invoke_prints_each_result_by_type() {
    let wat = r#"(module (func (export "f") (param i64 f32) (result i64 f32 f64 f64 i32)
        local.get 0 local.get 1 f64.const 1.5 f64.const nan i32.const -7))"#;
    let file = temp_file("results", "m.wat", wat);
    let out = wasmbeam(&["invoke", file.to_str().unwrap(), "f", "18446744073709551615", "-inf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "-1\n-inf\n1.5\nnan\n-7\n");
}

#[test]
fn invoke_takes_and_prints_v128_as_hex() {
    // Lane 0 is the lowest bits: i32x4.add adds 1 to the last 8 digits.
    let wat = r#"(module (func (export "inc") (param v128) (result v128 i32)
        (i32x4.add (local.get 0) (v128.const i32x4 1 0 0 0))
        (i8x16.extract_lane_u 15 (local.get 0))))"#;
    let file = temp_file("v128", "m.wat", wat);
    let out = wasmbeam(&["invoke", file.to_str().unwrap(), "inc", "0xAB0000000000000000000000FFFFFFFF"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "0xab000000000000000000000000000000\n171\n");
    let short = wasmbeam(&["invoke", file.to_str().unwrap(), "inc", "12"]);
    assert!(short.status.success(), "{}", stderr(&short));
    assert_eq!(stdout(&short), "0x00000000000000000000000000000013\n0\n");
    let bad = wasmbeam(&["invoke", file.to_str().unwrap(), "inc", "0xZZ"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn invoke_trap_and_errors() {
    let trap = wasmbeam(&["invoke", "examples/demo.wat", "count_primes", "0x40000001"]);
    assert_eq!(trap.status.code(), Some(1));
    assert_eq!(stderr(&trap), "trap: unreachable\n");

    let missing = wasmbeam(&["invoke", "examples/demo.wat", "nope"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).starts_with("error: "), "{}", stderr(&missing));

    let bad_arg = wasmbeam(&["invoke", "examples/demo.wat", "fib", "x"]);
    assert_eq!(bad_arg.status.code(), Some(2));

    let file = temp_file("import", "m.wat", r#"(module (import "env" "f" (func)))"#);
    let unlinkable = wasmbeam(&["invoke", file.to_str().unwrap(), "f"]);
    assert_eq!(unlinkable.status.code(), Some(2));
    assert!(stderr(&unlinkable).contains("unknown import"), "{}", stderr(&unlinkable));

    let usage = wasmbeam(&["frobnicate"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn wast_counts_and_status() {
    let passing = temp_file(
        "wast",
        "ok.wast",
        r#"(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
           (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
           (assert_trap (module (func unreachable) (start 0)) "unreachable")
           (assert_malformed (module quote "(func") "unexpected end")"#,
    );
    let out = wasmbeam(&["wast", passing.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).lines().last(), Some("3 passed, 0 failed, 1 skipped"));

    let failing = temp_file(
        "wast",
        "bad.wast",
        r#"(module (func (export "one") (result i32) i32.const 1))
           (assert_return (invoke "one") (i32.const 2))"#,
    );
    let out = wasmbeam(&["wast", failing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("bad.wast:2: assert_return: result 0: expected (i32.const 2), got (i32.const 1)"), "{text}");
    assert_eq!(text.lines().last(), Some("1 passed, 1 failed, 0 skipped"));
}

#[test]
fn compile_for_each_target() {
    for target in ["x86_64", "aarch64"] {
        let out = wasmbeam(&["compile", "examples/demo.wat", "--target", target]);
        assert!(out.status.success(), "{target}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(&format!("target: {target}\n")), "{text}");
        assert!(text.contains("compile time: "), "{text}");
        let size: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("reductions on: code size: ")?.strip_suffix(" bytes")?.parse().ok())
            .unwrap_or_else(|| panic!("no code size in {text}"));
        assert!(size > 0, "{text}");
    }
    // Both modes: each size, and their ratio.
    let out = wasmbeam(&["compile", "--reductions", "both", "examples/demo.wat"]);
    let text = stdout(&out);
    assert!(text.contains("reductions off: code size: ") && text.contains("on/off: code size "), "{text}");
    let invalid = temp_file("compile", "bad.wat", "(module (func (result i32)))");
    let out = wasmbeam(&["compile", invalid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid module"), "{}", stderr(&out));
}

#[test]
fn a_compiled_module_runs_without_compiling() {
    let out_file = temp_file("compiled", "demo.wbm", "");
    let out = wasmbeam(&["compile", "-o", out_file.to_str().unwrap(), "examples/demo.wat"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = wasmbeam(&["invoke", out_file.to_str().unwrap(), "fib", "20"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "6765\n");
    // Damaged: refused, with the reason.
    let mut bytes = std::fs::read(&out_file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&out_file, &bytes).unwrap();
    let out = wasmbeam(&["invoke", out_file.to_str().unwrap(), "fib", "20"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot load the serialized module: damaged"), "{}", stderr(&out));
}

#[test]
fn run_lazily_eagerly_and_from_the_cache() {
    let cache = std::env::temp_dir().join(format!("wasmbeam-cli-{}-cache", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let cache_arg = cache.to_str().expect("a UTF-8 temporary directory").to_string();
    for options in [&["--lazy"][..], &["--eager"], &["--cache", &cache_arg], &["--lazy", "--cache", &cache_arg]] {
        let mut args = vec!["run"];
        args.extend_from_slice(options);
        args.extend_from_slice(&["wasi/tests/programs/exit.wasm", "9"]);
        let out = wasmbeam(&args);
        assert_eq!(out.status.code(), Some(9), "{options:?}: {}", stderr(&out));
    }
    // The run with the cache saved the module compiled whole.
    let entries = std::fs::read_dir(&cache).expect("the cache directory exists").count();
    assert_eq!(entries, 1);
    std::fs::remove_dir_all(&cache).expect("clean up");
}

/// The numbers `--stats` printed: (suspensions, largest continuation).
fn stats(output: &Output) -> (u64, usize) {
    let text = stderr(output);
    let field = |prefix: &str, suffix: &str| -> String {
        text.lines()
            .find_map(|l| Some(l.strip_prefix(prefix)?.strip_suffix(suffix)?.to_string()))
            .unwrap_or_else(|| panic!("no `{prefix}` line in {text:?}"))
    };
    let suspensions = field("suspensions: ", "").parse().expect("a count");
    let largest = field("largest continuation: ", " bytes").parse().expect("a size");
    (suspensions, largest)
}

#[test]
fn invoke_in_fuel_slices_gives_the_same_results() {
    for slice in ["1", "7", "97", "10007"] {
        let fib = wasmbeam(&["invoke", "--fuel-slice", slice, "--stats", "examples/demo.wat", "fib", "15"]);
        assert!(fib.status.success(), "slice {slice}: {}", stderr(&fib));
        assert_eq!(stdout(&fib), "610\n", "slice {slice}");
        let (suspensions, largest) = stats(&fib);
        // fib(15) makes 1973 calls, each charged on entry: it must suspend,
        // and while suspended it holds at least one frame.
        assert!(suspensions > 0, "slice {slice}: {}", stderr(&fib));
        assert!(largest > 0, "slice {slice}: {}", stderr(&fib));
    }
    // Smaller slices suspend more often.
    let count = |slice: &str| {
        stats(&wasmbeam(&["invoke", "--fuel-slice", slice, "--stats", "examples/demo.wat", "count_primes", "1000"])).0
    };
    let (one, big) = (count("1"), count("10007"));
    assert!(one > big, "slice 1: {one} suspensions, slice 10007: {big}");

    let primes = wasmbeam(&["invoke", "--fuel-slice", "3", "examples/demo.wat", "count_primes", "0x186a0"]);
    assert!(primes.status.success(), "{}", stderr(&primes));
    assert_eq!(stdout(&primes), "9592\n");
    assert_eq!(stderr(&primes), "", "no stats without --stats");
}

#[test]
fn stats_without_slices_and_with_traps() {
    let whole = wasmbeam(&["invoke", "--stats", "examples/demo.wat", "fib", "10"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    assert_eq!(stdout(&whole), "55\n");
    assert_eq!(stats(&whole), (0, 0));

    // A trap after suspensions: the trap and the stats are both reported.
    let wat = r#"(module (func (export "spin") (param i32) (local i32)
        (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
        unreachable))"#;
    let file = temp_file("slice-trap", "m.wat", wat);
    let out = wasmbeam(&["invoke", "--fuel-slice", "5", "--stats", file.to_str().unwrap(), "spin", "100"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).ends_with("trap: unreachable\n"), "{}", stderr(&out));
    assert!(stats(&out).0 > 0, "{}", stderr(&out));
}

#[test]
fn fuel_slice_usage_errors() {
    for args in [
        &["invoke", "--fuel-slice", "0", "examples/demo.wat", "fib", "1"][..],
        &["invoke", "--fuel-slice", "many", "examples/demo.wat", "fib", "1"],
        &["invoke", "--fuel-slice"],
        &["invoke", "--frobnicate", "examples/demo.wat", "fib", "1"],
    ] {
        let out = wasmbeam(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).starts_with("error: "), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn run_preopens_host_directories() {
    let data = std::env::temp_dir().join(format!("wasmbeam-cli-{}-run-dir", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).expect("create the data directory");
    let spec = format!("{}::/data", data.display());
    let out = wasmbeam(&["run", "--dir", &spec, "wasi/tests/programs/host_fs.wasm"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // What wasmtime prints (the program's part for a read-only `/ro` is
    // left out: there is none here).
    let expected = std::fs::read_to_string("wasi/tests/programs/host_fs.expected").expect("read the transcript");
    let expected = expected.split("-- /ro").next().unwrap_or_default();
    assert_eq!(stdout(&out), expected);
    assert_eq!(std::fs::read(data.join("dir/renamed.txt")).expect("left by the program"), b"renamed\n");
    std::fs::remove_dir_all(&data).expect("clean up");

    let missing = wasmbeam(&["run", "--dir", "/nonexistent/wasmbeam::/data", "wasi/tests/programs/host_fs.wasm"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).starts_with("error: --dir /nonexistent/wasmbeam: "), "{}", stderr(&missing));
}

#[test]
fn run_in_fuel_slices() {
    // The same file-system program as `run_preopens_host_directories`,
    // suspended after every unit of fuel and every 97: the same output
    // and files as in one go.
    for slice in ["1", "97"] {
        let data = std::env::temp_dir().join(format!("wasmbeam-cli-{}-run-slice-{slice}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).expect("create the data directory");
        let spec = format!("{}::/data", data.display());
        let out = wasmbeam(&["run", "--fuel-slice", slice, "--dir", &spec, "wasi/tests/programs/host_fs.wasm"]);
        assert!(out.status.success(), "slice {slice}: {}", stderr(&out));
        let expected = std::fs::read_to_string("wasi/tests/programs/host_fs.expected").expect("read the transcript");
        assert_eq!(stdout(&out), expected.split("-- /ro").next().unwrap_or_default(), "slice {slice}");
        assert_eq!(std::fs::read(data.join("dir/renamed.txt")).expect("left by the program"), b"renamed\n");
        std::fs::remove_dir_all(&data).expect("clean up");
    }
    let exit = wasmbeam(&["run", "--fuel-slice", "5", "wasi/tests/programs/exit.wasm", "7"]);
    assert_eq!(exit.status.code(), Some(7), "{}", stderr(&exit));
    let bad = wasmbeam(&["run", "--fuel-slice", "0", "wasi/tests/programs/exit.wasm"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

#[test]
fn benchmark_programs_agree_with_reductions_off_and_in_slices() {
    // Results of wasmtime 50 (PyPI's `wasmtime`) for the same calls.
    for (program, arg, expected) in [
        ("sha256", "5000", "1105006737"),
        ("qsort", "20000", "-1128452268"),
        ("hashmap", "20000", "302235081"),
        ("strings", "20000", "-1249032545"),
    ] {
        let file = format!("benches/programs/{program}.wasm");
        for options in [&[][..], &["--reductions", "off"], &["--fuel-slice", "97"]] {
            let mut args = vec!["invoke"];
            args.extend_from_slice(options);
            args.extend_from_slice(&[&file, "run", arg]);
            let out = wasmbeam(&args);
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            assert_eq!(stdout(&out), format!("{expected}\n"), "{args:?}");
        }
    }
    let both = wasmbeam(&["invoke", "--reductions", "off", "--fuel-slice", "9", "examples/demo.wat", "fib", "1"]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}
