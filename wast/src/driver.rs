//! [`Driver`]: runs the calls of a script in a suspending [`Mode`].
//!
//! A call is started with [`Func::start`] and stepped on the two
//! [`Workers`], alternately, so that each step runs on another OS thread
//! than the step before it (checked by thread id). At every suspension the
//! call is saved with
//! [`Call::to_bytes`](wasmbeam_runtime::Call::to_bytes), dropped, and read
//! back with [`Call::from_bytes`](wasmbeam_runtime::Call::from_bytes)
//! before it goes on: nothing but the bytes survives from one step to the
//! next. After a yield the worker does that itself
//! and hands the call to the other worker; a host call comes back here and
//! is answered by calling the real function the suspending stand-in
//! replaces ([`StandIns`]) as a nested call driven the same way, while the
//! outer call is suspended; the answered call is saved and read back once
//! more before it resumes.

use super::mode::{Mode, SuspensionStats};
use super::saving::{harness_error, save_and_read_back};
use super::suspending::StandIns;
use super::workers::Workers;
use std::time::Instant;
use wasmbeam_runtime::{Error, Func, Step, Store, Trap, Val};

/// Host calls answered with nested calls deeper than this fail with a
/// harness trap (not "call stack exhausted": nothing ran out of Wasm stack)
/// instead of overflowing the script thread's stack, which holds a few Rust
/// frames per level: about 3 KiB on x86_64, more on aarch64, where 10,000
/// levels overflowed the 32 MiB of [`SCRIPT_STACK_SIZE`](crate::SCRIPT_STACK_SIZE).
/// The 2.0 suite nests at most 2 deep.
pub const MAX_NESTING: usize = 1_000;

/// Runs calls in one suspending mode, keeping statistics.
pub(crate) struct Driver {
    /// Fuel per step (`u64::MAX`: only host calls suspend).
    fuel: u64,
    workers: Workers,
    stats: SuspensionStats,
    /// How many host calls are being answered right now.
    nesting: usize,
}

impl Driver {
    /// A driver for `mode` (`None` for [`Mode::Direct`], which needs none),
    /// with its worker threads named after the script `name`.
    pub(crate) fn new(name: &str, mode: Mode) -> std::io::Result<Option<Driver>> {
        let Some(fuel) = mode.step_fuel() else { return Ok(None) };
        let workers = Workers::start(name)?;
        Ok(Some(Driver { fuel, workers, stats: SuspensionStats::default(), nesting: 0 }))
    }

    pub(crate) fn stats(&self) -> SuspensionStats {
        self.stats
    }

    /// Counts a module instantiated with its real imports.
    pub(crate) fn note_native_imports(&mut self) {
        self.stats.native_import_modules += 1;
    }

    /// Calls `func` with `args` and runs it to the end, suspending as the
    /// mode says. Traps come back as [`Error::Trap`], exactly as from
    /// [`Func::call`]; failures of the harness as [`Error::BadArgument`]
    /// starting with `harness:`.
    pub(crate) fn call(
        &mut self,
        store: &mut Store,
        func: Func,
        args: &[Val],
        stand_ins: &StandIns,
    ) -> Result<Vec<Val>, Error> {
        let mut call = func.start(store, args)?;
        call.defer_compiles(true);
        let mut last = None;
        loop {
            // The store moves to the workers; an empty one holds its place.
            let owned = std::mem::replace(store, Store::new(store.engine()));
            let started = Instant::now();
            let done = self.workers.run(owned, call, self.fuel, last).map_err(harness_error)?;
            let worked = done.stats.stepping + done.stats.saving;
            self.stats.hopping += started.elapsed().saturating_sub(worked);
            self.stats += done.stats;
            *store = done.store;
            last = done.last;
            let (func, args) = match done.outcome? {
                Step::Finished(values) => return Ok(values),
                Step::HostCall { func, args } => (func, args),
                Step::Yielded => return Err(harness_error("the workers returned a call that yielded")),
            };
            let stopped = done.call.ok_or_else(|| harness_error("the workers lost a call stopped in a host call"))?;
            self.stats.suspensions += 1;
            self.stats.host_calls += 1;
            let mut answered = save_and_read_back(store, stopped, &mut self.stats)?;
            match self.answer(store, func, &args, stand_ins) {
                Err(Error::Exception(exception)) => answered.resume_with_exception(exception)?,
                Err(Error::Trap(trap)) => answered.resume_with(Err(trap))?,
                Err(other) => answered.resume_with(Err(Trap::host(other.to_string())))?,
                Ok(values) => answered.resume_with(Ok(values))?,
            }
            call = save_and_read_back(store, answered, &mut self.stats)?;
        }
    }

    /// The answer to a call of the stand-in `func`: the result of calling
    /// the real function, or its trap or exception.
    fn answer(&mut self, store: &mut Store, func: Func, args: &[Val], stand_ins: &StandIns) -> Result<Vec<Val>, Error> {
        let Some(real) = stand_ins.original(func) else {
            return Err(Trap::host("harness: a host call of a function that is not a stand-in").into());
        };
        if self.nesting >= MAX_NESTING {
            return Err(Trap::host(format!("harness: host calls nested deeper than {MAX_NESTING}")).into());
        }
        self.nesting += 1;
        self.stats.max_nesting = self.stats.max_nesting.max(self.nesting);
        let result = self.call(store, real, args, stand_ins);
        self.nesting -= 1;
        result
    }
}
