//! [`Workers`]: two long-lived threads that run the steps of a call in
//! turns, so that consecutive steps of a call run on different OS threads.
//!
//! The store and the call move to a worker through a channel. The worker
//! runs one [`Call::step`]; if the call yielded, it saves the call as bytes
//! and reads it back ([`save_and_read_back`]) and hands store and call
//! straight to the other worker for the next step (one thread switch per
//! suspension). Anything else (finished, stopped in a host call, trapped,
//! failed) goes back to the thread that called [`Workers::run`].
//!
//! A panic in a step or while saving is caught on the worker and reported
//! with the store, which survives it (both only borrow it), so a worker
//! never dies while it holds the store.
//!
//! Public (as `wasmbeam_wast::Workers`) so that other harnesses, such as
//! the fuzzing oracles in `fuzzing/`, drive suspended calls exactly as the
//! spec runner's suspending modes do.

use super::catch_panic;
use super::mode::SuspensionStats;
use super::saving::{harness_error, save_and_read_back};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{channel, Receiver, SendError, Sender};
use std::thread::{JoinHandle, ThreadId};
use std::time::Instant;
use wasmbeam_runtime::{Call, Error, Step, Store};

/// Native stack of each worker: room for the engine's Wasm stack budget
/// (`Config::max_wasm_stack`) plus the runtime's own frames, with a wide
/// margin.
pub const WORKER_STACK_SIZE: usize = 64 << 20;

/// Where the last step of a call ran: the worker's index and thread.
pub type LastStep = (usize, ThreadId);

/// A call on its way through the workers.
struct Job {
    store: Store,
    call: Call,
    fuel: u64,
    last: Option<LastStep>,
    /// What happened to the call since [`Workers::run`] sent it.
    stats: SuspensionStats,
}

enum Message {
    Run(Box<Job>),
    Stop,
}

/// What a worker does with a call after a step.
enum Next {
    /// It yielded and was saved and read back: the other worker runs the
    /// next step.
    HandOver(Job),
    /// It stopped otherwise, or failed: back to [`Workers::run`]'s caller.
    Return(RunDone),
}

/// How a [`Workers::run`] ended.
pub struct RunDone {
    pub store: Store,
    /// `None` if the call was lost: it failed while being saved or read back.
    pub call: Option<Call>,
    /// [`Step::Finished`] or [`Step::HostCall`] (never [`Step::Yielded`]),
    /// or why the call stopped: a trap, an API error, a harness failure
    /// (a panic, two steps on one thread, a call that did not read back).
    pub outcome: Result<Step, Error>,
    pub last: Option<LastStep>,
    /// Suspensions (yields only), sizes, and time spent stepping and saving.
    pub stats: SuspensionStats,
}

/// Two worker threads, stopped and joined when dropped.
pub struct Workers {
    senders: [Sender<Message>; 2],
    done: Receiver<RunDone>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts both workers (named after `name`, the script).
    pub fn start(name: &str) -> std::io::Result<Workers> {
        let (done_tx, done) = channel();
        let (tx0, rx0) = channel();
        let (tx1, rx1) = channel();
        let senders = [tx0, tx1];
        let mut handles = Vec::new();
        for (index, inbox) in [rx0, rx1].into_iter().enumerate() {
            let worker = Worker { index, inbox, other: senders[1 - index].clone(), done: done_tx.clone() };
            let spawned = std::thread::Builder::new()
                .name(format!("wast worker {index} {name}"))
                .stack_size(WORKER_STACK_SIZE)
                .spawn(move || worker.serve());
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    // Stop the worker already started.
                    for sender in &senders {
                        let _ = sender.send(Message::Stop);
                    }
                    return Err(e);
                }
            }
        }
        Ok(Workers { senders, done, handles })
    }

    /// Steps `call` with `fuel` per step until it stops otherwise than by
    /// yielding, starting on the worker that did not run `last` (the call's
    /// previous step, if any). `Err` only if a worker is gone (it cannot be
    /// while the `Workers` live, short of a panic outside a step): the
    /// store and call are then lost.
    pub fn run(&self, store: Store, call: Call, fuel: u64, last: Option<LastStep>) -> Result<RunDone, String> {
        let first = last.map_or(0, |(index, _)| 1 - index);
        let job = Job { store, call, fuel, last, stats: SuspensionStats::default() };
        self.senders[first].send(Message::Run(Box::new(job))).map_err(|_| "the worker thread is gone".to_string())?;
        self.done.recv().map_err(|_| "a worker thread died during a call".to_string())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for sender in &self.senders {
            // Fails only for a worker that already ended.
            let _ = sender.send(Message::Stop);
        }
        for handle in self.handles.drain(..) {
            // A panic there was already reported as a failed step.
            let _ = handle.join();
        }
    }
}

/// One worker thread's ends of the channels.
struct Worker {
    index: usize,
    inbox: Receiver<Message>,
    /// The other worker's inbox, for the next step of a call that yielded.
    other: Sender<Message>,
    /// Where calls that stop go.
    done: Sender<RunDone>,
}

impl Worker {
    fn serve(self) {
        let me = std::thread::current().id();
        while let Ok(Message::Run(job)) = self.inbox.recv() {
            let result = match self.step(*job, me) {
                Next::HandOver(job) => {
                    self.other.send(Message::Run(Box::new(job))).map_err(|SendError(message)| match message {
                        Message::Run(job) => RunDone {
                            store: job.store,
                            call: Some(job.call),
                            outcome: Err(harness_error("the other worker thread is gone")),
                            last: job.last,
                            stats: job.stats,
                        },
                        // `send` gives back the message it was given: a job.
                        Message::Stop => unreachable!("only jobs are handed over"),
                    })
                }
                Next::Return(done) => Err(done),
            };
            if let Err(done) = result {
                if self.done.send(done).is_err() {
                    return;
                }
            }
        }
    }

    /// Runs one step of `job` on this thread (`me`).
    fn step(&self, mut job: Job, me: ThreadId) -> Next {
        let previous = job.last.replace((self.index, me));
        let stopped = |job: Job, outcome: Result<Step, Error>| RunDone {
            store: job.store,
            call: Some(job.call),
            outcome,
            last: job.last,
            stats: job.stats,
        };
        if previous.is_some_and(|(_, thread)| thread == me) {
            return Next::Return(stopped(
                job,
                Err(harness_error("two consecutive steps of a call ran on the same thread")),
            ));
        }
        let started = Instant::now();
        let step = catch_panic(AssertUnwindSafe(|| job.call.step(&mut job.store, job.fuel)));
        job.stats.stepping += started.elapsed();
        match step {
            Ok(Ok(Step::Yielded)) => {}
            Ok(outcome) => return Next::Return(stopped(job, outcome)),
            Err(panic) => return Next::Return(stopped(job, Err(harness_error(format!("a step panicked: {panic}"))))),
        }
        job.stats.suspensions += 1;
        if let Some(pending) = job.call.pending_compile() {
            // The call waits for a function of a lazily compiled module:
            // compile it here, as an embedder would elsewhere.
            job.stats.compiles += 1;
            if let Err(e) = pending.compile() {
                return Next::Return(stopped(job, Err(e)));
            }
        }
        let Job { store, call, fuel, last, mut stats } = job;
        let saved = catch_panic(AssertUnwindSafe(|| save_and_read_back(&store, call, &mut stats)));
        match saved {
            Ok(Ok(call)) => Next::HandOver(Job { store, call, fuel, last, stats }),
            Ok(Err(e)) => Next::Return(RunDone { store, call: None, outcome: Err(e), last, stats }),
            Err(panic) => Next::Return(RunDone {
                store,
                call: None,
                outcome: Err(harness_error(format!("saving or reading back the call panicked: {panic}"))),
                last,
                stats,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmbeam_runtime::{Engine, Linker, Module, Val};

    #[test]
    fn steps_alternate_between_two_other_threads_and_everything_comes_back() {
        let engine = Engine::default();
        let wasm = wat::parse_str(
            r#"(module (func (export "count") (param i32) (result i32) (local i32)
                 (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                          (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
                 (local.get 1)))"#,
        )
        .expect("valid text");
        let module = Module::new(&engine, &wasm).expect("compiles");
        let mut store = Store::new(&engine);
        let instance = Linker::new().instantiate(&mut store, &module).expect("instantiates");
        let func = instance.get_func(&store, "count").expect("exported");
        let call = func.start(&mut store, &[Val::I32(50)]).expect("starts");
        let workers = Workers::start("test").expect("threads start");
        let done = workers.run(store, call, 3, None).expect("the workers answer");
        assert!(matches!(done.outcome, Ok(Step::Finished(ref results)) if results == &[Val::I32(50)]));
        assert!(done.stats.suspensions > 10, "{:?}", done.stats);
        assert!(done.stats.max_continuation > 0, "{:?}", done.stats);
        let (index, thread) = done.last.expect("it ran");
        assert_ne!(thread, std::thread::current().id());
        // 1 + suspensions steps, starting on worker 0, alternating.
        assert_eq!(index as u64, done.stats.suspensions % 2, "{:?}", done.stats);

        // The next call made after this one starts on the other worker.
        let mut store = done.store;
        let call = func.start(&mut store, &[Val::I32(1)]).expect("starts");
        let again = workers.run(store, call, u64::MAX, done.last).expect("the workers answer");
        assert_eq!(again.last.map(|(i, _)| i), Some(1 - index));
        assert_ne!(again.last.map(|(_, t)| t), Some(thread));
    }
}
