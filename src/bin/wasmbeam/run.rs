//! `wasmbeam run [--dir HOST[::GUEST]]... [--env NAME=VALUE]... [--fuel-slice N] [--stats] FILE [ARG...]`:
//! runs a WASI command's `_start` with the terminal's stdin, stdout and
//! stderr, and exits with its exit status.

use crate::CliError;
use std::process::ExitCode;
use wasmbeam::wasi::fs::host::HostDir;
use wasmbeam::wasi::{self, Input, Output, WasiBuilder};
use wasmbeam::{Compilation, Config, Engine, Error, Linker, Store};

/// The exit status of a program that trapped, as `wasmtime run` (128 +
/// SIGABRT).
const TRAP_STATUS: u8 = 134;

/// `run`'s options, all before FILE.
#[derive(Debug, Default, PartialEq, Eq)]
struct RunOptions {
    /// `(host, guest)` directories.
    dirs: Vec<(String, String)>,
    /// `(name, value)`.
    env: Vec<(String, String)>,
    /// Fuel per step of the call, if it runs in slices.
    fuel_slice: Option<u64>,
    /// `Some(true)`: compile lazily; `Some(false)`: whole; `None`: by size.
    lazy: Option<bool>,
    /// The compiled-module cache directory, if any.
    cache: Option<String>,
    /// Print the time the program ran (`--stats`).
    stats: bool,
}

/// Splits `run`'s arguments into its options and the rest (FILE, ARGs);
/// `--` ends the options.
fn run_options(args: &[String]) -> Result<(RunOptions, &[String]), CliError> {
    let mut options = RunOptions::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let value = |i: usize| args.get(i + 1).ok_or_else(|| CliError::Usage(format!("{arg} needs a value")));
        match arg.as_str() {
            "--" => return Ok((options, &args[i + 1..])),
            "--dir" => {
                let spec = value(i)?;
                let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
                options.dirs.push((host.to_string(), guest.to_string()));
                i += 2;
            }
            "--env" => {
                let spec = value(i)?;
                let (name, value) = spec
                    .split_once('=')
                    .ok_or_else(|| CliError::Usage(format!("--env wants NAME=VALUE, got `{spec}`")))?;
                options.env.push((name.to_string(), value.to_string()));
                i += 2;
            }
            "--fuel-slice" => {
                let n = value(i)?;
                let fuel = n.parse::<u64>().ok().filter(|&fuel| fuel >= 1);
                options.fuel_slice =
                    Some(fuel.ok_or_else(|| CliError::Usage(format!("--fuel-slice wants N >= 1, got `{n}`")))?);
                i += 2;
            }
            "--cache" => {
                options.cache = Some(value(i)?.clone());
                i += 2;
            }
            "--stats" => {
                options.stats = true;
                i += 1;
            }
            "--lazy" | "--eager" => {
                options.lazy = Some(arg == "--lazy");
                i += 1;
            }
            other if other.starts_with("--") => {
                return Err(CliError::Usage(format!("unknown option `{other}` for run")));
            }
            _ => return Ok((options, &args[i..])),
        }
    }
    Ok((options, &args[i..]))
}

pub(crate) fn run(args: &[String]) -> ExitCode {
    match run_program(args) {
        Ok(status) => ExitCode::from(status as u8),
        Err(CliError::Engine(Error::Trap(trap))) => {
            eprintln!("trap: {trap}");
            ExitCode::from(TRAP_STATUS)
        }
        Err(e) => e.exit(),
    }
}

fn run_program(args: &[String]) -> Result<i32, CliError> {
    let (options, rest) = run_options(args)?;
    let Some(file) = rest.first() else {
        return Err(CliError::Usage("run needs FILE".into()));
    };
    let engine = Engine::new(Config { cache_dir: options.cache.as_ref().map(Into::into), ..Config::default() })?;
    let how = match options.lazy {
        Some(true) => Compilation::Lazy,
        Some(false) => Compilation::Eager,
        None => Compilation::Auto,
    };
    let module = crate::open_module(&engine, file, how)?;
    let mut builder =
        WasiBuilder::new().args(rest).stdin(Input::Inherit).stdout(Output::Inherit).stderr(Output::Inherit);
    for (name, value) in &options.env {
        builder = builder.env(name, value);
    }
    for (host, guest) in &options.dirs {
        let dir = HostDir::open(host, false).map_err(|e| CliError::Other(format!("--dir {host}: {e}")))?;
        builder = builder.preopen(Box::new(dir), guest);
    }
    let wasi = builder.build();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store);
    let started = std::time::Instant::now();
    let status = wasi::run_sliced(&mut store, &linker, &module, &wasi, options.fuel_slice.unwrap_or(u64::MAX));
    if options.stats {
        eprintln!("run time: {:.6} s", started.elapsed().as_secs_f64());
    }
    Ok(status?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_come_before_the_file() {
        let args = strings(&[
            "--dir",
            "/tmp::/data",
            "--env",
            "A=b=c",
            "--fuel-slice",
            "1000",
            "--stats",
            "--dir",
            ".",
            "p.wasm",
            "--env",
            "x",
        ]);
        let (options, rest) = run_options(&args).unwrap();
        assert_eq!(options.dirs, [("/tmp".into(), "/data".into()), (".".into(), ".".into())]);
        assert_eq!(options.env, [("A".into(), "b=c".into())]);
        assert_eq!(options.fuel_slice, Some(1000));
        assert!(options.stats);
        assert!(run_options(&strings(&["--fuel-slice", "0", "p.wasm"])).is_err());
        assert!(run_options(&strings(&["--fuel-slice", "x", "p.wasm"])).is_err());
        assert_eq!(rest, strings(&["p.wasm", "--env", "x"]));
        assert!(run_options(&strings(&["--env", "novalue", "p.wasm"])).is_err());
        assert!(run_options(&strings(&["--dir"])).is_err());
        assert!(run_options(&strings(&["--color", "p.wasm"])).is_err());
    }
}
