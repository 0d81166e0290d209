//! Running WebAssembly spec scripts (`.wast`) against wasmbeam.
//!
//! This crate is test support, not part of wasmbeam's embedding API (the
//! `wasmbeam` facade does not re-export it, and it is not published). It
//! serves the spec suite (`tests/spec.rs` of the root package), the
//! `wasmbeam wast` subcommand of the CLI, and the fuzzing oracles in
//! `fuzzing/`, which drive suspended calls with its [`Workers`]. It only
//! uses the embedding API of `wasmbeam-runtime`.
//!
//! [`run_script`] executes every directive of a script against one
//! [`Store`](wasmbeam_runtime::Store) and reports each as passed, failed or
//! skipped:
//! - every directive counts, including plain `module`, `register` and
//!   `invoke` (they assert that the module instantiates, the instance
//!   exists, the call does not trap);
//! - the only directive that may be skipped is an `assert_malformed` whose
//!   quoted text module the `wast` crate itself cannot parse: the text format
//!   is not wasmbeam's input, so there is nothing of ours to test;
//! - a directive that panics counts as failed with the panic message and
//!   location, and the script goes on with the next directive.
//!
//! [`compile_script`] only compiles the modules of a script (for targets
//! whose code cannot run here) and checks that valid modules compile and
//! invalid ones are rejected with a compile error.
//!
//! [`run_script_in`] runs a script with its calls executed in another
//! [`Mode`]: sliced with forced suspensions, or with suspending imports,
//! each suspension saved as bytes, read back and resumed on another thread.
//! Given the [`Action`]s of an uninterrupted run, it also checks that every
//! action produced exactly the same result (values, trap, error) as there.
//!
//! Scripts run on a thread of their own with a [`SCRIPT_STACK_SIZE`] stack:
//! the harness's own thread may be small (Rust test threads have 2 MiB),
//! while `assert_exhaustion` needs room for the engine's full Wasm stack
//! limit plus the Rust frames around it. In the suspending modes the calls
//! themselves run on two worker threads with
//! [`WORKER_STACK_SIZE`] stacks.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod compile_check;
mod driver;
mod mode;
mod runner;
mod saving;
mod spectest;
mod suspending;
mod transcript;
mod values;
mod workers;

pub use driver::MAX_NESTING;
pub use mode::{Mode, SuspensionStats};
pub use transcript::Action;
pub use workers::{LastStep, RunDone, Workers, WORKER_STACK_SIZE};

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Once};
use wasmbeam_runtime::Engine;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, Wat};

/// Native stack of the thread a script runs on.
pub const SCRIPT_STACK_SIZE: usize = 32 << 20;

/// How many directives passed, failed and were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }
}

/// One failed or skipped directive: where it is and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The script's name as given to [`run_script`].
    pub script: String,
    /// 1-based line of the directive.
    pub line: usize,
    /// The directive's keyword, e.g. `assert_return`.
    pub directive: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.script, self.line, self.directive, self.message)
    }
}

/// The result of running one script.
///
/// Invariant: `counts.failed == failures.len()` and
/// `counts.skipped == skips.len()`.
#[derive(Debug, Clone)]
pub struct ScriptReport {
    pub name: String,
    pub counts: Counts,
    pub failures: Vec<Finding>,
    pub skips: Vec<Finding>,
    /// What every action produced, in order (empty for [`compile_script`]).
    pub actions: Vec<Action>,
    /// What the calls did in a suspending mode (zero in [`Mode::Direct`]).
    pub stats: SuspensionStats,
}

impl ScriptReport {
    fn new(name: &str) -> ScriptReport {
        ScriptReport {
            name: name.to_string(),
            counts: Counts::default(),
            failures: Vec::new(),
            skips: Vec::new(),
            actions: Vec::new(),
            stats: SuspensionStats::default(),
        }
    }

    /// Adds the skips of `skipped` (see [`skip_lines`]).
    pub fn add_skips(&mut self, skipped: &ScriptReport) {
        self.counts.skipped += skipped.counts.skipped;
        self.skips.extend(skipped.skips.iter().cloned());
    }

    /// Whether nothing failed (skips are allowed).
    pub fn is_ok(&self) -> bool {
        self.counts.failed == 0
    }

    fn record(&mut self, line: usize, directive: &'static str, outcome: Outcome) {
        let finding = |message| Finding { script: self.name.clone(), line, directive, message };
        match outcome {
            Outcome::Passed => self.counts.passed += 1,
            Outcome::Failed(message) => {
                self.failures.push(finding(message));
                self.counts.failed += 1;
            }
            Outcome::Skipped(message) => {
                self.skips.push(finding(message));
                self.counts.skipped += 1;
            }
        }
    }
}

/// What became of one directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Runs the script `text` (named `name` in findings) with a fresh store of
/// `engine`, registering the `spectest` module first. Calls run to
/// completion ([`Mode::Direct`]).
pub fn run_script(name: &str, text: &str, engine: &Engine) -> ScriptReport {
    run_script_in(name, text, engine, Mode::Direct, None)
}

/// [`run_script`] with the calls executed in `mode`. With `reference`, the
/// [`ScriptReport::actions`] of another run of the same script (normally
/// the [`Mode::Direct`] one), a directive whose actions produced anything
/// else than there fails, even if its assertion held; a reference action
/// never reached is one more failure (directive `transcript`).
pub fn run_script_in(
    name: &str,
    text: &str,
    engine: &Engine,
    mode: Mode,
    reference: Option<Arc<[Action]>>,
) -> ScriptReport {
    on_script_thread(name, || {
        let mut report = ScriptReport::new(name);
        let mut runner = match catch_panic(AssertUnwindSafe(|| runner::Runner::new(engine, name, mode, reference))) {
            Ok(Ok(runner)) => runner,
            Ok(Err(message)) => {
                report.record(1, "setup", Outcome::Failed(message));
                return report;
            }
            Err(panic) => {
                report.record(1, "setup", Outcome::Failed(panic));
                return report;
            }
        };
        for_each_directive(&mut report, text, |line, directive| Some(runner.run(line, directive)));
        report.stats = runner.stats();
        let (actions, missing) = runner.finish();
        report.actions = actions;
        if let Some(missing) = missing {
            let last_line = text.lines().count().max(1);
            report.record(last_line, "transcript", Outcome::Failed(missing));
        }
        report
    })
}

/// Compiles every module of the script `text` with `engine` (whose target
/// need not be the host) without instantiating anything: modules the script
/// expects to be valid must compile, modules it expects to be invalid or
/// malformed must be rejected with
/// [`Error::Compile`](wasmbeam_runtime::Error::Compile). Each module is
/// one check; directives without a module are not counted.
pub fn compile_script(name: &str, text: &str, engine: &Engine) -> ScriptReport {
    on_script_thread(name, || {
        let mut report = ScriptReport::new(name);
        for_each_directive(&mut report, text, |_, directive| compile_check::check(engine, directive));
        report
    })
}

/// Counts every directive of the script `text` as skipped, for `reason`:
/// a script that needs what wasmbeam does not implement yet (SIMD, say)
/// is reported skipped, directive by directive, never passed.
pub fn skip_script(name: &str, text: &str, reason: &str) -> ScriptReport {
    let mut report = ScriptReport::new(name);
    for_each_directive(&mut report, text, |_, _| Some(Outcome::Skipped(reason.to_string())));
    report
}

/// Cuts the directives that start on `lines` out of the script `text`
/// (blanked, so every other directive keeps its line) and counts them as
/// skipped for `reason`: part of a script that needs what wasmbeam does
/// not implement yet. Returns the rest of the script and the skips, which
/// [`ScriptReport::add_skips`] adds to the rest's report.
pub fn skip_lines(
    name: &str,
    text: &str,
    lines: std::ops::RangeInclusive<usize>,
    reason: &str,
) -> (String, ScriptReport) {
    let mut report = ScriptReport::new(name);
    let mut cut = Vec::new();
    for_each_directive(&mut report, text, |line, directive| {
        if !lines.contains(&line) {
            return None;
        }
        let start = directive.span().offset();
        cut.push(start);
        Some(Outcome::Skipped(reason.to_string()))
    });
    // Each directive is one parenthesized form, blanked byte by byte (but
    // its line breaks) up to its closing parenthesis; the scripts this is
    // used on have no unbalanced parenthesis in strings or comments inside
    // the cut directives (else what is left would not parse, a failure).
    let mut kept = text.as_bytes().to_vec();
    for start in cut {
        let open = text[..start].rfind('(').unwrap_or(start);
        let mut depth = 0usize;
        for byte in &mut kept[open..] {
            let closing = *byte == b')';
            match *byte {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            if *byte != b'\n' {
                *byte = b' ';
            }
            if closing && depth == 0 {
                break;
            }
        }
    }
    // Only ASCII bytes were replaced, each by a space, and whole characters
    // of every other kind: the text stays UTF-8.
    let kept = String::from_utf8(kept).unwrap_or_default();
    (kept, report)
}

/// Runs `f` on a new thread with a [`SCRIPT_STACK_SIZE`] stack, turning a
/// failure to spawn or an escaped panic into a one-failure report.
fn on_script_thread(name: &str, f: impl FnOnce() -> ScriptReport + Send) -> ScriptReport {
    let failed = |message: String| {
        let mut report = ScriptReport::new(name);
        report.record(1, "script", Outcome::Failed(message));
        report
    };
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name(format!("wast {name}"))
            .stack_size(SCRIPT_STACK_SIZE)
            .spawn_scoped(scope, f);
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| failed("the script runner panicked".into())),
            Err(e) => failed(format!("cannot spawn the script thread: {e}")),
        }
    })
}

/// Parses `text` and feeds its directives to `run` one by one with their
/// 1-based line, recording each outcome (`None`: the directive is not
/// counted). A script that does not parse is one failure.
fn for_each_directive(
    report: &mut ScriptReport,
    text: &str,
    mut run: impl for<'d> FnMut(usize, WastDirective<'d>) -> Option<Outcome>,
) {
    let parse_failed = |report: &mut ScriptReport, mut e: wast::Error| {
        e.set_text(text);
        report.record(1, "script", Outcome::Failed(format!("the script does not parse: {e}")));
    };
    // The spec suite has scripts with bidirectional-text characters in
    // strings (names.wast); they are legal, just confusing to read.
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => return parse_failed(report, e),
    };
    let directives = match parser::parse::<Wast<'_>>(&buf) {
        Ok(wast) => wast.directives,
        Err(e) => return parse_failed(report, e),
    };
    for directive in directives {
        let line = directive.span().linecol_in(text).0 + 1;
        let kind = directive_name(&directive);
        match catch_panic(AssertUnwindSafe(|| run(line, directive))) {
            Ok(Some(outcome)) => report.record(line, kind, outcome),
            Ok(None) => {}
            Err(panic) => report.record(line, kind, Outcome::Failed(panic)),
        }
    }
}

/// The binary of a module in a directive: encoded text, the bytes of
/// `(module binary ...)`, or parsed-then-encoded `(module quote ...)`.
pub(crate) fn encode_module(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
    if let QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..) = module {
        return Err("components are not supported".into());
    }
    module.encode().map_err(|e| format!("the module text does not parse or encode: {e}"))
}

/// Whether the module is `(module quote ...)` text.
pub(crate) fn is_quoted(module: &QuoteWat<'_>) -> bool {
    matches!(module, QuoteWat::QuoteModule(..) | QuoteWat::QuoteComponent(..))
}

/// The keyword of a directive, for findings.
fn directive_name(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

thread_local! {
    /// Whether panics on this thread are caught by [`catch_panic`] (and so
    /// should not be printed by the panic hook).
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    /// The last caught panic's message and location.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err(message with location)`.
///
/// A process-wide panic hook is installed once; it only changes behaviour
/// for threads inside `catch_panic` (records the message instead of printing
/// it) and defers to the previous hook everywhere else.
fn catch_panic<R>(f: impl FnOnce() -> R + panic::UnwindSafe) -> Result<R, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
    let was_capturing = CAPTURING.with(|c| c.replace(true));
    let result = panic::catch_unwind(f);
    CAPTURING.with(|c| c.set(was_capturing));
    result
        .map_err(|payload| {
            LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_else(|| {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string payload)".into());
                format!("panicked: {message}")
            })
        })
        .map_err(|message| message.replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages_with_their_location() {
        let caught = catch_panic(|| -> () { panic!("boom\nsecond line") });
        let message = caught.unwrap_err();
        assert!(message.contains("boom second line"), "{message}");
        assert!(message.contains("wast/src/lib.rs"), "{message}");
        assert_eq!(catch_panic(|| 5), Ok(5));
    }

    #[test]
    fn a_panicking_directive_is_counted_and_the_script_goes_on() {
        let mut report = ScriptReport::new("p.wast");
        let text = "(module)\n(module)\n(module)";
        let mut seen = 0;
        for_each_directive(&mut report, text, |_, _| {
            seen += 1;
            if seen == 2 {
                panic!("second directive");
            }
            Some(Outcome::Passed)
        });
        assert_eq!(report.counts, Counts { passed: 2, failed: 1, skipped: 0 });
        assert_eq!(report.failures[0].line, 2);
        assert!(report.failures[0].message.contains("second directive"));
    }
}
