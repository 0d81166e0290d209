//! The WASI functions that need no file system, through real C programs
//! (`tests/programs/*.c`, built with wasi-libc): stdio as bytes, captures
//! and streams, arguments and environment, clocks, polling, exit statuses;
//! and the waits that suspend the call instead of blocking a thread.

use wasmbeam_runtime::{Call, Engine, Error, Linker, Module, Step, Store};
use wasmbeam_wasi::{run, Input, Output, Wait, Wasi, WasiBuilder};

fn program(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/programs/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A store and linker with `wasi`, and the program's module.
fn setup(name: &str, wasi: &Wasi) -> (Store, Linker, Module) {
    let engine = Engine::default();
    let module = Module::new(&engine, &program(name)).unwrap();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store);
    (store, linker, module)
}

fn captured() -> WasiBuilder {
    WasiBuilder::new().stdout(Output::Capture(Vec::new())).stderr(Output::Capture(Vec::new()))
}

/// Starts the program's `_start` as a `Call`.
fn start(name: &str, wasi: &Wasi) -> (Store, Call) {
    let (mut store, linker, module) = setup(name, wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_func(&store, "_start").unwrap();
    let call = start.start(&mut store, &[]).unwrap();
    (store, call)
}

#[test]
fn stdin_bytes_to_captured_stdout_and_the_exit_status() {
    let wasi = captured().arg("stdio").stdin(Input::bytes(b"one\ntwo\nthree\n".to_vec())).build();
    let (mut store, linker, module) = setup("stdio", &wasi);
    assert_eq!(run(&mut store, &linker, &module, &wasi).unwrap(), 3);
    assert_eq!(wasi.take_stdout(), b"ONE\nTWO\nTHREE\n");
    assert_eq!(wasi.take_stderr(), b"14 bytes, 3 lines\n");
}

#[test]
fn arguments_and_environment() {
    let wasi = captured().args(["prog", "a b", ""]).env("GREETING", "hello").env("Z", "1").build();
    let (mut store, linker, module) = setup("args_env", &wasi);
    assert_eq!(run(&mut store, &linker, &module, &wasi).unwrap(), 3);
    let out = String::from_utf8(wasi.take_stdout()).unwrap();
    assert_eq!(
        out,
        "argv[0] = \"prog\"\nargv[1] = \"a b\"\nargv[2] = \"\"\nenv: GREETING=hello\nenv: Z=1\nGREETING is hello\n"
    );
}

#[test]
fn a_read_of_an_empty_stream_suspends_until_fed() {
    let wasi = captured().arg("stdio").stdin(Input::stream()).build();
    let (mut store, mut call) = start("stdio", &wasi);
    let mut waits = 0;
    let mut feed = [b"ab".as_slice(), b"c\nd", b"e\n"].into_iter();
    let status = loop {
        match call.step(&mut store, 10_000) {
            Ok(Step::Yielded) => {}
            Ok(Step::HostCall { .. }) => {
                assert_eq!(wasi.take_wait(), Some(Wait::Stdin));
                waits += 1;
                match feed.next() {
                    Some(bytes) => wasi.feed_stdin(bytes),
                    None => wasi.end_stdin(),
                }
                call.resume_again().unwrap();
            }
            Ok(Step::Finished(_)) => break 0,
            Err(Error::Exit(status)) => break status,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(waits, 4, "one wait before each chunk and one before the end");
    assert_eq!(status, 2);
    assert_eq!(wasi.take_stdout(), b"ABC\nDE\n");
}

#[test]
fn a_sleep_suspends_with_its_deadline() {
    let wasi = captured().arg("clocks").build();
    let (mut store, mut call) = start("clocks", &wasi);
    let mut sleeps = 0;
    loop {
        match call.step(&mut store, u64::MAX) {
            Ok(Step::HostCall { .. }) => {
                let wait = wasi.take_wait().unwrap();
                assert!(matches!(wait, Wait::Poll { deadline: Some(_), stdin: false }), "{wait:?}");
                let timeout = wait.timeout().unwrap();
                assert!(timeout <= std::time::Duration::from_millis(50), "{timeout:?}");
                sleeps += 1;
                std::thread::sleep(timeout);
                call.resume_again().unwrap();
            }
            Ok(Step::Finished(_)) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sleeps, 1, "resumed after the deadline, the poll returns");
    let out = String::from_utf8(wasi.take_stdout()).unwrap();
    for line in ["slept at least 50 ms: 1", "slept less than 5 s: 1", "random differs: 1", "sched_yield: 0"] {
        assert!(out.lines().any(|l| l == line), "{line} in {out}");
    }
}

#[test]
fn what_wasmbeam_gives_where_wasmtime_traps() {
    let wasi = captured().args(["beyond_wasmtime", "200"]).build();
    let (mut store, linker, module) = setup("beyond_wasmtime", &wasi);
    assert_eq!(run(&mut store, &linker, &module, &wasi).unwrap(), 200);
    let out = String::from_utf8(wasi.take_stdout()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    let values: Vec<&str> = lines.iter().map(|l| l.rsplit(" = ").next().unwrap()).collect();
    // Six EFAULTs, EINVAL for the unknown clock, advice and flags,
    // two working CPU clocks.
    assert_eq!(values, ["21", "21", "21", "21", "21", "21", "28", "28", "28", "1", "1"], "{out}");
}

#[test]
fn a_program_run_in_fuel_slices_gives_the_same_output() {
    let input: Vec<u8> = (0..5000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
    let whole = captured().arg("stdio").stdin(Input::bytes(input.clone())).build();
    let (mut store, linker, module) = setup("stdio", &whole);
    let status = run(&mut store, &linker, &module, &whole).unwrap();
    let sliced = captured().arg("stdio").stdin(Input::bytes(input)).build();
    let (mut store, mut call) = start("stdio", &sliced);
    let mut yields = 0;
    let sliced_status = loop {
        match call.step(&mut store, 997) {
            Ok(Step::Yielded) => yields += 1,
            Err(Error::Exit(status)) => break status,
            other => panic!("{other:?}"),
        }
    };
    assert!(yields > 100, "{yields}");
    assert_eq!((sliced_status, sliced.take_stdout()), (status, whole.take_stdout()));
}

#[test]
fn exit_statuses_and_traps() {
    for (arg, status) in [("0", 0), ("1", 1), ("125", 125), ("255", 255)] {
        let wasi = captured().args(["exit", arg]).build();
        let (mut store, linker, module) = setup("exit", &wasi);
        assert_eq!(run(&mut store, &linker, &module, &wasi).unwrap(), status);
        assert_eq!(wasi.take_stdout(), format!("exiting with {arg}\nbye\n").as_bytes());
    }
    // A module that is not a command.
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str("(module)").unwrap()).unwrap();
    let wasi = captured().build();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store);
    assert!(matches!(run(&mut store, &linker, &module, &wasi), Err(Error::BadArgument(_))));
}
