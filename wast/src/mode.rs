//! [`Mode`]: how a script's calls are executed, and [`SuspensionStats`],
//! what the suspending modes saw.

use std::fmt;
use std::ops::AddAssign;
use std::time::Duration;

/// How the runner executes the calls of a script (`invoke` in every
/// directive that has one). Start functions always run inside
/// instantiation, uninterrupted, in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Each call runs to completion with
    /// [`Func::call`](wasmbeam_runtime::Func::call).
    Direct,
    /// Forced suspension: each call is started with
    /// [`Func::start`](wasmbeam_runtime::Func::start) and stepped with this
    /// much fuel per step (at least 1). After every yield the call is saved
    /// with [`Call::to_bytes`](wasmbeam_runtime::Call::to_bytes), the
    /// original dropped, read back with
    /// [`Call::from_bytes`](wasmbeam_runtime::Call::from_bytes), and the next
    /// step runs on the other of two worker threads. WebAssembly gets 64
    /// KiB of native stack in this mode (see `runner.rs`).
    Sliced(u64),
    /// Suspending imports: every function a module imports from `spectest`
    /// or from another instance is replaced by a suspending host function
    /// of the same type
    /// ([`Func::new_suspending`](wasmbeam_runtime::Func::new_suspending)).
    /// When a call stops in one, the harness makes the real call (the host
    /// function, or the exporting instance's function as a nested call of
    /// its own) and answers with
    /// [`Call::resume_with`](wasmbeam_runtime::Call::resume_with).
    /// Calls run with unlimited fuel; every suspension is saved, read back
    /// and moves to the other worker thread as in [`Mode::Sliced`].
    ///
    /// Exception: a module with a start function gets the real imports,
    /// because its start function runs inside instantiation, where nothing
    /// can suspend ([`SuspensionStats::native_import_modules`] counts them).
    SuspendingImports,
}

impl Mode {
    /// The fuel given to each step, `None` for [`Mode::Direct`].
    pub fn step_fuel(self) -> Option<u64> {
        match self {
            Mode::Direct => None,
            Mode::Sliced(fuel) => Some(fuel.max(1)),
            Mode::SuspendingImports => Some(u64::MAX),
        }
    }

    /// A short name without spaces, for test names: `direct`, `slice7`,
    /// `suspending`.
    pub fn tag(self) -> String {
        match self {
            Mode::Direct => "direct".into(),
            Mode::Sliced(fuel) => format!("slice{fuel}"),
            Mode::SuspendingImports => "suspending".into(),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Direct => f.write_str("direct"),
            Mode::Sliced(fuel) => write!(f, "slice {fuel}"),
            Mode::SuspendingImports => f.write_str("suspending"),
        }
    }
}

/// What the calls of a script (or several) did in a suspending mode.
/// All zero in [`Mode::Direct`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SuspensionStats {
    /// Steps that ended suspended (yielded, or stopped in a host call).
    /// Each one was saved as bytes, read back, and resumed on another thread.
    pub suspensions: u64,
    /// Of those, the ones that stopped in a suspending host function.
    pub host_calls: u64,
    /// Of those, the ones that waited for a function of a lazily compiled
    /// module to be compiled (calls defer compiles: the harness compiles
    /// with `PendingCompile::compile` before saving the call).
    pub compiles: u64,
    /// The largest
    /// [`Call::continuation_size`](wasmbeam_runtime::Call::continuation_size)
    /// seen at a suspension (bytes of saved frames).
    pub max_continuation: usize,
    /// The largest [`Call::to_bytes`](wasmbeam_runtime::Call::to_bytes)
    /// output.
    pub max_serialized: usize,
    /// The deepest nesting of calls the harness made to answer host calls
    /// (0: no host call answered with a nested call into WebAssembly).
    pub max_nesting: usize,
    /// Modules instantiated with their real imports in
    /// [`Mode::SuspendingImports`] because they have a start function.
    pub native_import_modules: u64,
    /// Time spent in `Call::step` on the workers (running and resuming the
    /// code: rewinding and unwinding the saved frames included).
    pub stepping: Duration,
    /// Time spent moving steps to the workers and back (thread switches),
    /// on top of `stepping`.
    pub hopping: Duration,
    /// Time spent in `Call::to_bytes` and `Call::from_bytes`.
    pub saving: Duration,
}

impl AddAssign for SuspensionStats {
    fn add_assign(&mut self, other: SuspensionStats) {
        self.suspensions += other.suspensions;
        self.host_calls += other.host_calls;
        self.compiles += other.compiles;
        self.max_continuation = self.max_continuation.max(other.max_continuation);
        self.max_serialized = self.max_serialized.max(other.max_serialized);
        self.max_nesting = self.max_nesting.max(other.max_nesting);
        self.native_import_modules += other.native_import_modules;
        self.stepping += other.stepping;
        self.hopping += other.hopping;
        self.saving += other.saving;
    }
}

impl fmt::Display for SuspensionStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} suspensions ({} in host calls, {} for compiles), largest continuation {} bytes ({} serialized), \
             deepest host-call nesting {}, {} modules kept their real imports (start function); \
             time: {:.2} s stepping, {:.2} s switching threads, {:.2} s saving and reading back",
            self.suspensions,
            self.host_calls,
            self.compiles,
            self.max_continuation,
            self.max_serialized,
            self.max_nesting,
            self.native_import_modules,
            self.stepping.as_secs_f64(),
            self.hopping.as_secs_f64(),
            self.saving.as_secs_f64(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fuel() {
        assert_eq!(Mode::Sliced(7).to_string(), "slice 7");
        assert_eq!(Mode::Sliced(7).tag(), "slice7");
        assert_eq!(Mode::SuspendingImports.tag(), "suspending");
        assert_eq!(Mode::Direct.step_fuel(), None);
        assert_eq!(Mode::Sliced(0).step_fuel(), Some(1));
        assert_eq!(Mode::SuspendingImports.step_fuel(), Some(u64::MAX));
    }

    #[test]
    fn stats_add_counts_and_keep_maxima() {
        let mut a = SuspensionStats { suspensions: 2, max_continuation: 10, max_nesting: 3, ..Default::default() };
        a += SuspensionStats { suspensions: 5, host_calls: 1, max_continuation: 4, max_serialized: 9, ..a };
        assert_eq!(a.suspensions, 7);
        assert_eq!(a.host_calls, 1);
        assert_eq!(a.max_continuation, 10);
        assert_eq!(a.max_serialized, 9);
        assert_eq!(a.max_nesting, 3);
    }
}
