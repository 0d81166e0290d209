//! [`Driver`]: runs the calls of a script in a suspending [`Mode`].
//!
//! A call is started with [`Func::start`] and stepped on the two
//! [`Workers`], alternately, so that each step runs on another OS thread
//! than the step before it (checked by thread id). At every suspension the
//! call is saved with [`Call::to_bytes`], dropped, and read back with
//! [`Call::from_bytes`] before it goes on: nothing but the bytes survives
//! from one step to the next. A host call is answered by calling the real
//! function the suspending stand-in replaces ([`StandIns`]) as a nested
//! call driven the same way, while the outer call is suspended; the
//! answered call is saved and read back once more before it resumes.

use super::mode::{Mode, SuspensionStats};
use super::suspending::StandIns;
use super::workers::Workers;
use crate::{Call, Error, Func, Step, Store, Trap, Val};
use std::thread::ThreadId;
use std::time::Instant;

/// Host calls answered with nested calls deeper than this fail with a
/// harness trap (not "call stack exhausted": nothing ran out of Wasm stack)
/// instead of overflowing the script thread's stack, which holds one Rust
/// frame pair per level. The 2.0 suite never recurses through imports.
pub const MAX_NESTING: usize = 10_000;

/// Runs calls in one suspending mode, keeping statistics.
pub(crate) struct Driver {
    /// Fuel per step (`u64::MAX`: only host calls suspend).
    fuel: u64,
    workers: Workers,
    stats: SuspensionStats,
    /// How many host calls are being answered right now.
    nesting: usize,
}

/// An error of the harness itself (not of the engine): never what an
/// assertion expects.
fn harness_error(message: impl std::fmt::Display) -> Error {
    Error::BadArgument(format!("harness: {message}"))
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
        let mut worker = 0;
        let mut last_thread: Option<ThreadId> = None;
        loop {
            let (step, stepped) = self.step_elsewhere(store, call, worker, last_thread)?;
            call = stepped.0;
            last_thread = Some(stepped.1);
            worker ^= 1;
            let host_call = match step {
                Step::Finished(values) => return Ok(values),
                Step::Yielded => None,
                Step::HostCall { func, args } => Some((func, args)),
            };
            self.stats.suspensions += 1;
            call = self.save_and_read_back(store, call)?;
            if let Some((func, args)) = host_call {
                self.stats.host_calls += 1;
                let answer = self.answer(store, func, &args, stand_ins);
                call.resume_with(answer)?;
                call = self.save_and_read_back(store, call)?;
            }
        }
    }

    /// Runs one step of `call` on worker `worker`, moving the store there
    /// and back. Checks that it ran on another thread than `last_thread`.
    /// Returns what the step returned, the call, and the step's thread.
    fn step_elsewhere(
        &mut self,
        store: &mut Store,
        call: Call,
        worker: usize,
        last_thread: Option<ThreadId>,
    ) -> Result<(Step, (Call, ThreadId)), Error> {
        // The store moves to the worker; a fresh empty one holds its place.
        let placeholder = Store::new(store.engine());
        let owned = std::mem::replace(store, placeholder);
        let started = Instant::now();
        let done = self.workers.step(worker, owned, call, self.fuel).map_err(harness_error)?;
        self.stats.stepping += done.elapsed;
        self.stats.hopping += started.elapsed().saturating_sub(done.elapsed);
        *store = done.store;
        if last_thread == Some(done.thread) {
            return Err(harness_error("two consecutive steps of a call ran on the same thread"));
        }
        let step = done.step.map_err(|panic| harness_error(format!("a step panicked: {panic}")))??;
        Ok((step, (done.call, done.thread)))
    }

    /// Saves the suspended `call` as bytes, drops it, and reads it back.
    fn save_and_read_back(&mut self, store: &Store, call: Call) -> Result<Call, Error> {
        let (size, fuel) = (call.continuation_size(), call.fuel_consumed());
        let started = Instant::now();
        let bytes = call.to_bytes(store)?;
        drop(call);
        let restored = Call::from_bytes(store, &bytes);
        self.stats.saving += started.elapsed();
        let restored = restored?;
        if (restored.continuation_size(), restored.fuel_consumed()) != (size, fuel) {
            return Err(harness_error(format!(
                "the call read back differs: continuation {} bytes, fuel {} (saved: {size} bytes, fuel {fuel})",
                restored.continuation_size(),
                restored.fuel_consumed()
            )));
        }
        self.stats.max_continuation = self.stats.max_continuation.max(size);
        self.stats.max_serialized = self.stats.max_serialized.max(bytes.len());
        Ok(restored)
    }

    /// The answer to a call of the stand-in `func`: the result of calling
    /// the real function, or its trap.
    fn answer(&mut self, store: &mut Store, func: Func, args: &[Val], stand_ins: &StandIns) -> Result<Vec<Val>, Trap> {
        let Some(real) = stand_ins.original(func) else {
            return Err(Trap::host("harness: a host call of a function that is not a stand-in"));
        };
        if self.nesting >= MAX_NESTING {
            return Err(Trap::host(format!("harness: host calls nested deeper than {MAX_NESTING}")));
        }
        self.nesting += 1;
        self.stats.max_nesting = self.stats.max_nesting.max(self.nesting);
        let result = self.call(store, real, args, stand_ins);
        self.nesting -= 1;
        match result {
            Ok(values) => Ok(values),
            Err(Error::Trap(trap)) => Err(trap),
            Err(other) => Err(Trap::host(other.to_string())),
        }
    }
}
