//! wasmbeam's fuzzing oracles. Each target is a `pub fn` taking the
//! fuzzer's bytes; `Err(Failure)` (or a panic, or a crash) is a finding:
//!
//! - [`differential`]: a wasm-smith module restricted to what wasmbeam
//!   supports, run on wasmbeam and on wasmi 2; every call's results (bit
//!   for bit), traps (and their kind) and the exports' state afterwards
//!   must agree.
//! - [`suspension`]: the same kind of module run uninterrupted and in tiny
//!   fuel slices, each suspension saved as bytes, read back and resumed on
//!   another thread; everything must be identical.
//! - [`compile`]: arbitrary bytes and wasm-smith modules (every proposal)
//!   through validation and compilation for x86_64 and aarch64: the verdict
//!   must match the validator's, and errors must be clean.
//! - [`limits`]: generated hostile modules (many locals, deep nesting, huge
//!   `br_table`s, many functions, large data segments, many results) must
//!   compile, instantiate and run, or be refused cleanly.
//!
//! The `fuzz/` crate (outside the workspace) wraps each in a libFuzzer
//! target; this crate's tests replay `fuzz/regressions/<target>/*` and run
//! a seeded smoke pass of each ([`seeded`]).

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod compare;
mod compile;
pub mod generate;
pub mod hostile;
mod limits;
pub mod plan;
pub mod seeded;
pub mod subject;
mod suspension;
pub mod typed_calls;
pub mod value;
pub mod wasmbeam_side;
pub mod wasmi_side;

pub use compile::compile;
pub use differential::{differential, differential_module};
pub use limits::limits;
pub use suspension::suspension;

mod differential;

use std::fmt;

/// A finding: what differed or went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// What a target did with one input (to check that a smoke pass really
/// exercises something).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Modules instantiated (or whose instantiation was compared).
    pub modules: u64,
    /// Instantiations that failed the same way on both sides.
    pub failed_instantiations: u64,
    /// Calls compared.
    pub calls: u64,
    /// Of those, calls that trapped on both sides.
    pub traps: u64,
    /// Comparisons ended early by stack exhaustion.
    pub exhausted: u64,
    /// Suspensions (sliced calls, [`suspension`]).
    pub suspensions: u64,
    /// Modules compiled ([`compile`], [`limits`]).
    pub compiled: u64,
    /// Modules refused with a clean error ([`compile`], [`limits`]).
    pub refused: u64,
}

impl std::ops::AddAssign for Summary {
    fn add_assign(&mut self, o: Summary) {
        self.modules += o.modules;
        self.failed_instantiations += o.failed_instantiations;
        self.calls += o.calls;
        self.traps += o.traps;
        self.exhausted += o.exhausted;
        self.suspensions += o.suspensions;
        self.compiled += o.compiled;
        self.refused += o.refused;
    }
}

/// A target: the fuzzer's bytes in, what it did or the finding out.
pub type Target = fn(&[u8]) -> Result<Summary, Failure>;

/// The targets by name, as `fuzz/regressions/<name>/` and the fuzz
/// targets call them.
pub const TARGETS: [(&str, Target); 4] =
    [("differential", differential), ("suspension", suspension), ("compile", compile), ("limits", limits)];
