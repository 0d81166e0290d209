//! The `wasmbeam` command line: run a WASI program, call an export, run
//! spec scripts, compile.
//!
//! Exit status: for `run`, the program's exit status, or 134 if it trapped
//! (as `wasmtime run`); otherwise 0 success; 1 the Wasm code trapped
//! (`invoke`) or a script assertion failed (`wast`); 2 any other error
//! (usage, unreadable or invalid module, link error, ...).

mod run;

use std::process::ExitCode;
use std::time::Instant;
use wasmbeam::{
    read_wasm, Compilation, Config, Engine, Error, ExternRef, Func, Linker, LoadError, Module, Step, Store, Target,
    Val, ValType,
};
use wasmbeam_wast::{run_script, Counts};

const USAGE: &str = "\
usage:
  wasmbeam run [OPTIONS] FILE [ARG...]          run a WASI command (its _start) with the terminal's stdio
  wasmbeam invoke [OPTIONS] FILE FUNC [ARG...]  call an exported function and print its results
  wasmbeam wast FILE...                         run WebAssembly spec scripts (.wast)
  wasmbeam compile [OPTIONS] FILE               validate and compile; print time and code size

FILE is a binary (.wasm) or text (.wat) module, told apart by content, or
(for run and invoke) a module compiled by `wasmbeam compile -o`: its
machine code is loaded and run as it is, so only give files you trust as
you would a program.
ARGs are parsed by the function's parameter types: integers in decimal
(signed or unsigned) or hex (0x...), floats as decimals, inf, -inf or nan,
references as null (or a number for externref).
TARGET is host (default), x86_64 or aarch64.

run OPTIONS (before FILE, as `wasmtime run`):
  --dir HOST[::GUEST]  preopen host directory HOST for the program as GUEST
                       (default: HOST); repeatable
  --env NAME=VALUE     set an environment variable; repeatable
  --fuel-slice N       run in slices of N fuel units (N >= 1), as invoke
  --lazy, --eager      compile each function on its first call, or the
                       whole module first (default: lazily for modules
                       with over 1 MiB of code)
  --cache DIR          load the module from the compiled-module cache DIR
                       if it is there; a module compiled whole (--eager,
                       or under 1 MiB of code) is saved there
  --stats              print to stderr the time from instantiation to the
                       end of _start (which includes the compiling of a
                       lazily compiled module)
The program gets FILE as its first argument, then the ARGs.

invoke OPTIONS (before FILE):
  --fuel-slice N   run the call in slices of N fuel units (N >= 1): it
                   suspends after each slice and is resumed until it ends
  --stats          print to stderr how many times the call suspended, its
                   largest continuation (saved frames) in bytes, and the
                   time the call took
  --reductions MODE  on (default) or off: compile without reduction
                   counting (the call then runs to its end in one go)

compile OPTIONS:
  --target TARGET      compile for TARGET
  --reductions MODE    on (default), off, or both: compile twice and print
                       the code size and compile time of each, and their
                       ratios
  --threads N          compile on N threads (default: one per core)
  --lazy               prepare the module for lazy compilation instead (as
                       run does for modules over 1 MiB of code) and print
                       how long that takes, then how long compiling what a
                       first call of EXPORT (default _start) needs takes
  --export EXPORT      the export --lazy measures
  -o OUT               write the compiled module (reductions on) to OUT,
                       for run and invoke to load without compiling";

/// Everything that ends a command early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("{0}")]
    Engine(#[from] Error),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub(crate) fn exit(self) -> ExitCode {
        match self {
            CliError::Engine(Error::Trap(trap)) | CliError::Load(LoadError::Module(Error::Trap(trap))) => {
                eprintln!("trap: {trap}");
                ExitCode::from(1)
            }
            other => {
                eprintln!("error: {other}");
                ExitCode::from(2)
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os().skip(1).map(|a| a.into_string()).collect() {
        Ok(args) => args,
        Err(bad) => return CliError::Other(format!("argument is not valid UTF-8: {bad:?}")).exit(),
    };
    let result = match args.first().map(String::as_str) {
        Some("run") => return run::run(&args[1..]),
        Some("invoke") => invoke(&args[1..]),
        Some("wast") => return wast(&args[1..]),
        Some("compile") => compile(&args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(CliError::Usage(format!("unknown command `{other}`"))),
        None => Err(CliError::Usage("no command given".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.exit(),
    }
}

/// The options of `invoke`.
#[derive(Debug, Default, PartialEq, Eq)]
struct InvokeOptions {
    /// Fuel per step; `None`: one uninterrupted call.
    fuel_slice: Option<u64>,
    /// Print suspension statistics to stderr.
    stats: bool,
    /// Compile without reduction counting (`--reductions off`).
    reductions_off: bool,
}

/// Splits `invoke`'s arguments into its options (all before FILE; `--`
/// ends them) and the rest.
fn invoke_options(args: &[String]) -> Result<(InvokeOptions, &[String]), CliError> {
    let mut options = InvokeOptions::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "--" => return Ok((options, &args[i + 1..])),
            "--stats" => options.stats = true,
            "--reductions" => {
                i += 1;
                options.reductions_off = match args.get(i).map(String::as_str) {
                    Some("on") => false,
                    Some("off") => true,
                    other => {
                        let other = other.unwrap_or("nothing");
                        return Err(CliError::Usage(format!("--reductions: `{other}` is not on or off")));
                    }
                };
            }
            "--fuel-slice" => {
                i += 1;
                let raw = args.get(i).ok_or_else(|| CliError::Usage("--fuel-slice needs a value".into()))?;
                let slice = raw
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| CliError::Usage(format!("--fuel-slice: `{raw}` is not a number >= 1")))?;
                options.fuel_slice = Some(slice);
            }
            other if other.starts_with("--") => {
                return Err(CliError::Usage(format!("unknown option `{other}` for invoke")));
            }
            _ => break,
        }
        i += 1;
    }
    Ok((options, &args[i..]))
}

/// How a call suspended: what `--stats` prints.
#[derive(Debug, Default)]
struct CallStats {
    suspensions: u64,
    /// The largest `Call::continuation_size` at a suspension, in bytes.
    max_continuation: usize,
}

/// Runs `func(args)` with `Func::start`, in steps of `slice` fuel, resuming
/// after every yield until it ends. The stats are complete even if the
/// call traps.
fn run_in_slices(store: &mut Store, func: Func, args: &[Val], slice: u64) -> (Result<Vec<Val>, Error>, CallStats) {
    let mut stats = CallStats::default();
    let mut call = match func.start(store, args) {
        Ok(call) => call,
        Err(e) => return (Err(e), stats),
    };
    loop {
        match call.step(store, slice) {
            Ok(Step::Finished(results)) => return (Ok(results), stats),
            Ok(Step::Yielded) => {
                stats.suspensions += 1;
                stats.max_continuation = stats.max_continuation.max(call.continuation_size());
            }
            // The instance has no imports, so no host function can be called.
            Ok(Step::HostCall { .. }) => {
                return (Err(Error::Internal("a host call from an instance without imports".into())), stats)
            }
            Err(e) => return (Err(e), stats),
        }
    }
}

/// [`run_in_slices`], timed: what `invoke --stats` reports as the call
/// time. Never inlined, so that a profiler can count exactly the call
/// (benches/peak.py counts instructions inside it under callgrind).
#[inline(never)]
fn timed_call(
    store: &mut Store,
    func: Func,
    args: &[Val],
    slice: u64,
) -> (Result<Vec<Val>, Error>, CallStats, std::time::Duration) {
    let started = std::time::Instant::now();
    let (results, stats) = run_in_slices(store, func, args, slice);
    (results, stats, started.elapsed())
}

/// `invoke [OPTIONS] FILE FUNC [ARG...]`: instantiates FILE with no
/// imports, calls FUNC (in fuel slices with `--fuel-slice`) and prints one
/// result per line.
fn invoke(args: &[String]) -> Result<(), CliError> {
    let (options, args) = invoke_options(args)?;
    let [file, name, raw_args @ ..] = args else {
        return Err(CliError::Usage("invoke needs FILE and FUNC".into()));
    };
    if options.reductions_off && options.fuel_slice.is_some() {
        return Err(CliError::Usage("--fuel-slice needs reductions on".into()));
    }
    let engine = Engine::new(Config { reductions: !options.reductions_off, ..Config::default() })?;
    let module = open_module(&engine, file, Compilation::Auto)?;
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module)?;
    let func = instance
        .get_func(&store, name)
        .ok_or_else(|| CliError::Other(format!("{file} exports no function `{name}`")))?;
    let ty = func.ty(&store)?;
    if raw_args.len() != ty.params.len() {
        return Err(CliError::Other(format!(
            "`{name}` has type {ty}: expected {} argument(s), got {}",
            ty.params.len(),
            raw_args.len()
        )));
    }
    let vals = ty
        .params
        .iter()
        .zip(raw_args)
        .map(|(&ty, raw)| parse_arg(ty, raw).map_err(|e| CliError::Other(format!("argument `{raw}`: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let results = if options.fuel_slice.is_none() && !options.stats {
        func.call(&mut store, &vals)?
    } else {
        let slice = options.fuel_slice.unwrap_or(u64::MAX);
        let (results, stats, elapsed) = timed_call(&mut store, func, &vals, slice);
        if options.stats {
            eprintln!("suspensions: {}", stats.suspensions);
            eprintln!("largest continuation: {} bytes", stats.max_continuation);
            eprintln!("call time: {:.6} s", elapsed.as_secs_f64());
        }
        results?
    };
    for result in results {
        println!("{}", format_val(&result));
    }
    Ok(())
}

/// Parses a command-line argument as a value of type `ty`.
fn parse_arg(ty: ValType, raw: &str) -> Result<Val, String> {
    // A reference is written as one of its representation (`null`, or an
    // externref's payload); the call checks the rest (not null, ...).
    Ok(match ty.repr() {
        // The range checks make the narrowing casts exact: negative values
        // fit the signed type, non-negative ones the unsigned type.
        ValType::I32 => match parse_int(raw)? {
            v if v < 0 && v >= i128::from(i32::MIN) => Val::I32(v as i32),
            v if v >= 0 && v <= i128::from(u32::MAX) => Val::I32(v as u32 as i32),
            _ => return Err("out of range for i32".into()),
        },
        ValType::I64 => match parse_int(raw)? {
            v if v < 0 && v >= i128::from(i64::MIN) => Val::I64(v as i64),
            v if v >= 0 && v <= i128::from(u64::MAX) => Val::I64(v as u64 as i64),
            _ => return Err("out of range for i64".into()),
        },
        ValType::F32 => Val::F32(raw.parse::<f32>().map_err(|e| format!("not an f32: {e}"))?.to_bits()),
        ValType::F64 => Val::F64(raw.parse::<f64>().map_err(|e| format!("not an f64: {e}"))?.to_bits()),
        // As `format_val` prints it: the 128 bits as one hex number (lane
        // 0 in the lowest bits).
        ValType::V128 => {
            let hex = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")).unwrap_or(raw);
            Val::V128(u128::from_str_radix(hex, 16).map_err(|e| format!("not a v128 (32 hex digits): {e}"))?.into())
        }
        ValType::FuncRef if raw == "null" => Val::FuncRef(None),
        ValType::FuncRef => return Err("a funcref argument can only be null".into()),
        ValType::ExternRef if raw == "null" => Val::ExternRef(None),
        ValType::ExternRef => {
            let payload = raw.parse::<u64>().map_err(|e| format!("not an externref payload: {e}"))?;
            Val::ExternRef(Some(ExternRef::new(payload).ok_or("externref payload out of range")?))
        }
        ValType::ExnRef if raw == "null" => Val::ExnRef(None),
        ValType::ExnRef => return Err("an exnref argument can only be null".into()),
        ValType::Ref(_) => return Err(format!("no argument syntax for {ty}")),
    })
}

/// An integer in decimal or `0x` hex, with an optional sign.
fn parse_int(raw: &str) -> Result<i128, String> {
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let magnitude = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u128::from_str_radix(hex, 16),
        None => digits.parse::<u128>(),
    }
    .map_err(|e| format!("not an integer: {e}"))?;
    let magnitude = i128::try_from(magnitude).map_err(|_| "integer too large".to_string())?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// Integers in signed decimal, floats as Rust prints them (`1.5`, `inf`),
/// NaNs as `nan` / `-nan`, a `v128` as `0x` and 32 hex digits (its 16
/// bytes as a little-endian number: lane 0 last), references in script
/// syntax.
fn format_val(val: &Val) -> String {
    fn float(value: impl std::fmt::Debug, is_nan: bool, sign_negative: bool) -> String {
        match (is_nan, sign_negative) {
            (true, false) => "nan".into(),
            (true, true) => "-nan".into(),
            (false, _) => format!("{value:?}"),
        }
    }
    match val {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => {
            let v = f32::from_bits(*bits);
            float(v, v.is_nan(), v.is_sign_negative())
        }
        Val::F64(bits) => {
            let v = f64::from_bits(*bits);
            float(v, v.is_nan(), v.is_sign_negative())
        }
        Val::V128(v) => format!("{:#034x}", v.as_u128()),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "ref.func".into(),
        Val::ExnRef(None) => "ref.null exn".into(),
        Val::ExnRef(Some(_)) => "ref.exn".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(r)) => format!("ref.extern {}", r.payload()),
    }
}

/// `wast FILE...`: runs each script, prints its counts and failures, then
/// the totals as the last line.
fn wast(files: &[String]) -> ExitCode {
    if files.is_empty() {
        return CliError::Usage("wast needs at least one FILE".into()).exit();
    }
    let engine = Engine::default();
    let mut total = Counts::default();
    let mut unreadable = false;
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: cannot read {file}: {e}");
                unreadable = true;
                continue;
            }
        };
        let report = run_script(file, &text, &engine);
        println!("{file}: {}", report.counts);
        for failure in &report.failures {
            println!("  FAILED {failure}");
        }
        total += report.counts;
    }
    println!("{total}");
    if unreadable {
        ExitCode::from(2)
    } else if total.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `compile FILE [--target T]`: validates and compiles, timing only the
/// engine's work (not reading or converting text).
fn compile(args: &[String]) -> Result<(), CliError> {
    let mut file = None;
    let mut target_name = "host";
    let mut modes = vec![true];
    let mut threads = 0;
    let mut out = None;
    let mut lazy = false;
    let mut export = "_start".to_string();
    let mut rest = args.iter();
    let value = |rest: &mut std::slice::Iter<'_, String>, name: &str| {
        rest.next().cloned().ok_or_else(|| CliError::Usage(format!("{name} needs a value")))
    };
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--target" => target_name = rest.next().ok_or_else(|| CliError::Usage("--target needs a value".into()))?,
            "--reductions" => {
                modes = match value(&mut rest, "--reductions")?.as_str() {
                    "on" => vec![true],
                    "off" => vec![false],
                    "both" => vec![true, false],
                    other => return Err(CliError::Usage(format!("--reductions: `{other}` is not on, off or both"))),
                }
            }
            "--threads" => {
                let raw = value(&mut rest, "--threads")?;
                threads = raw.parse().map_err(|_| CliError::Usage(format!("--threads: `{raw}` is not a number")))?;
            }
            "-o" => out = Some(value(&mut rest, "-o")?),
            "--lazy" => lazy = true,
            "--export" => export = value(&mut rest, "--export")?,
            _ if file.is_none() && !arg.starts_with('-') => file = Some(arg),
            other => return Err(CliError::Usage(format!("unexpected argument `{other}`"))),
        }
    }
    let file = file.ok_or_else(|| CliError::Usage("compile needs FILE".into()))?;
    let target: Target = target_name.parse().map_err(|e| CliError::Usage(format!("{e}")))?;
    let bytes = read_wasm(file)?;
    println!("target: {target_name}");
    if lazy {
        return compile_lazily(&bytes, target, threads, &export);
    }
    let mut measured = Vec::new();
    for reductions in modes {
        let engine = Engine::new(Config { target, reductions, compile_threads: threads, ..Config::default() })?;
        let start = Instant::now();
        let module = Module::with_compilation(&engine, &bytes, Compilation::Eager)?;
        let elapsed = start.elapsed().as_secs_f64();
        let label = if reductions { "reductions on" } else { "reductions off" };
        println!("{label}: compile time: {:.3} ms", elapsed * 1e3);
        println!("{label}: code size: {} bytes", module.code_size());
        measured.push((elapsed, module.code_size()));
        if let (Some(path), true) = (&out, reductions) {
            let serialized = module.serialize()?;
            std::fs::write(path, &serialized).map_err(|e| CliError::Other(format!("cannot write {path}: {e}")))?;
            println!("wrote {path} ({} bytes)", serialized.len());
            let start = Instant::now();
            // SAFETY: the bytes were serialized by this process just now.
            let loaded = unsafe { Module::deserialize(&engine, &serialized) }?;
            let load = start.elapsed().as_secs_f64();
            println!("loaded back in {:.3} ms ({:.3}x the compile time)", load * 1e3, load / elapsed);
            drop(loaded);
        }
    }
    if let [(time_on, size_on), (time_off, size_off)] = measured[..] {
        println!("on/off: code size {:.2}x, compile time {:.2}x", size_on as f64 / size_off as f64, time_on / time_off);
    }
    Ok(())
}

/// `compile --lazy`: the time to a module ready to call, then the time to
/// compile what the first call of `export` needs.
fn compile_lazily(bytes: &[u8], target: Target, threads: usize, export: &str) -> Result<(), CliError> {
    let engine = Engine::new(Config { target, compile_threads: threads, ..Config::default() })?;
    let start = Instant::now();
    let module = Module::with_compilation(&engine, bytes, Compilation::Lazy)?;
    let ready = start.elapsed().as_secs_f64();
    println!("lazy: ready to call in {:.3} ms (validated; stubs: {} bytes)", ready * 1e3, module.code_size());
    let start = Instant::now();
    let compiled = module.compile_export(export)?;
    let first = start.elapsed().as_secs_f64();
    println!("lazy: first call of {export}: {compiled} functions compiled in {:.3} ms", first * 1e3);
    println!("lazy: time to first call: {:.3} ms", (ready + first) * 1e3);
    Ok(())
}

/// The module in `file`: WebAssembly (binary or text), compiled, or a
/// module `wasmbeam compile -o` wrote, loaded.
pub(crate) fn open_module(engine: &Engine, file: &str, how: Compilation) -> Result<Module, CliError> {
    let bytes = std::fs::read(file).map_err(|source| LoadError::Io { path: file.into(), source })?;
    if Module::is_serialized(&bytes) {
        // SAFETY: the user named this file to be run, as they would a
        // program (the usage says so); loading checks that it is intact and
        // from this build and configuration.
        return Ok(unsafe { Module::deserialize(engine, &bytes) }?);
    }
    Ok(Module::with_compilation(engine, &read_wasm(file)?, how)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_all_accepted_forms() {
        assert_eq!(parse_arg(ValType::I32, "-1"), Ok(Val::I32(-1)));
        assert_eq!(parse_arg(ValType::I32, "4294967295"), Ok(Val::I32(-1)));
        assert_eq!(parse_arg(ValType::I32, "0x80000000"), Ok(Val::I32(i32::MIN)));
        assert!(parse_arg(ValType::I32, "4294967296").is_err());
        assert!(parse_arg(ValType::I32, "-2147483649").is_err());
        assert_eq!(parse_arg(ValType::I64, "18446744073709551615"), Ok(Val::I64(-1)));
        assert_eq!(parse_arg(ValType::I64, "-9223372036854775808"), Ok(Val::I64(i64::MIN)));
        assert!(parse_arg(ValType::I64, "0x1_0").is_err());
    }

    #[test]
    fn invoke_options_come_before_the_file() {
        let args: Vec<String> =
            ["--fuel-slice", "7", "--stats", "f.wat", "g", "--stats"].iter().map(|s| s.to_string()).collect();
        let (options, rest) = invoke_options(&args).expect("valid options");
        assert_eq!(options, InvokeOptions { fuel_slice: Some(7), stats: true, reductions_off: false });
        assert_eq!(rest, &args[3..]);
        let dashed: Vec<String> = ["--", "--file", "f"].iter().map(|s| s.to_string()).collect();
        let (options, rest) = invoke_options(&dashed).expect("valid options");
        assert_eq!(options, InvokeOptions::default());
        assert_eq!(rest, &dashed[1..]);
        let off: Vec<String> = ["--reductions", "off", "f.wat", "g"].iter().map(|s| s.to_string()).collect();
        let (options, _) = invoke_options(&off).expect("valid options");
        assert!(options.reductions_off);
        for bad in [
            &["--fuel-slice"][..],
            &["--fuel-slice", "0"],
            &["--fuel-slice", "x"],
            &["--frob"],
            &["--reductions"],
            &["--reductions", "both"],
        ] {
            let bad: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(matches!(invoke_options(&bad), Err(CliError::Usage(_))), "{bad:?}");
        }
    }

    #[test]
    fn floats_and_their_printing() {
        assert_eq!(parse_arg(ValType::F32, "1.5"), Ok(Val::F32(1.5f32.to_bits())));
        assert_eq!(parse_arg(ValType::F64, "-inf"), Ok(Val::F64(f64::NEG_INFINITY.to_bits())));
        assert_eq!(format_val(&Val::F64(1.5f64.to_bits())), "1.5");
        assert_eq!(format_val(&Val::F32(0.1f32.to_bits())), "0.1");
        assert_eq!(format_val(&Val::F32(f32::INFINITY.to_bits())), "inf");
        assert_eq!(format_val(&Val::F64(f64::NAN.to_bits())), "nan");
        assert_eq!(format_val(&Val::F32((-f32::NAN).to_bits())), "-nan");
        assert_eq!(format_val(&Val::I64(-5)), "-5");
    }
}
