//! [`Workers`]: two long-lived threads that run the steps of suspended
//! calls, so that consecutive steps of a call run on different OS threads.
//!
//! The store and the call move to a worker through a channel, the worker
//! runs one [`Call::step`] and sends both back. A panic in the step is
//! caught there and reported with the store (which survives it: a step only
//! borrows it), so a worker never dies while it holds the store.

use super::catch_panic;
use crate::{Call, Error, Step, Store};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

/// Native stack of each worker: room for the engine's Wasm stack budget
/// (`Config::max_wasm_stack`) plus the runtime's own frames, with a wide
/// margin.
pub const WORKER_STACK_SIZE: usize = 64 << 20;

/// One step to run.
struct Job {
    store: Store,
    call: Call,
    fuel: u64,
}

/// A step that ran: the store and call back, and what the step returned
/// (`Err(message)`: it panicked).
pub(crate) struct StepDone {
    pub(crate) store: Store,
    pub(crate) call: Call,
    pub(crate) step: Result<Result<Step, Error>, String>,
    /// The thread the step ran on.
    pub(crate) thread: ThreadId,
    /// How long `Call::step` took there.
    pub(crate) elapsed: Duration,
}

/// Two worker threads, stopped and joined when dropped.
pub(crate) struct Workers {
    jobs: [Option<Sender<Job>>; 2],
    done: Receiver<StepDone>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts both workers (named after `name`, the script).
    pub(crate) fn start(name: &str) -> std::io::Result<Workers> {
        let (done_tx, done) = channel();
        let mut jobs = [None, None];
        let mut handles = Vec::new();
        for (i, slot) in jobs.iter_mut().enumerate() {
            let (job_tx, job_rx) = channel::<Job>();
            let done_tx = done_tx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("wast worker {i} {name}"))
                .stack_size(WORKER_STACK_SIZE)
                .spawn(move || {
                    for Job { mut store, mut call, fuel } in job_rx {
                        let started = Instant::now();
                        let step = catch_panic(AssertUnwindSafe(|| call.step(&mut store, fuel)));
                        let elapsed = started.elapsed();
                        let thread = std::thread::current().id();
                        if done_tx.send(StepDone { store, call, step, thread, elapsed }).is_err() {
                            return;
                        }
                    }
                })?;
            *slot = Some(job_tx);
            handles.push(handle);
        }
        Ok(Workers { jobs, done, handles })
    }

    /// Runs `call.step(store, fuel)` on worker `worker` (0 or 1) and waits
    /// for it. `Err` only if the worker is gone (it cannot be while the
    /// `Workers` live, short of a panic outside the step): the store and
    /// call are then lost.
    pub(crate) fn step(&self, worker: usize, store: Store, call: Call, fuel: u64) -> Result<StepDone, String> {
        let sender = self.jobs[worker % 2].as_ref().ok_or("the worker was stopped")?;
        sender.send(Job { store, call, fuel }).map_err(|_| "the worker thread is gone".to_string())?;
        self.done.recv().map_err(|_| "the worker thread died during a step".to_string())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for sender in &mut self.jobs {
            sender.take();
        }
        for handle in self.handles.drain(..) {
            // A worker only ends by its channel closing; a panic there was
            // already reported as a failed step.
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Linker, Module, Val};

    #[test]
    fn steps_run_on_two_other_threads_and_give_everything_back() {
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
        let mut threads = Vec::new();
        let (mut store, mut call, mut worker) = (store, call, 0);
        let results = loop {
            let done = workers.step(worker, store, call, 3).expect("the worker answers");
            threads.push(done.thread);
            (store, call, worker) = (done.store, done.call, worker ^ 1);
            match done.step.expect("no panic").expect("no trap") {
                Step::Finished(results) => break results,
                Step::Yielded => {}
                Step::HostCall { .. } => panic!("no host functions here"),
            }
        };
        assert_eq!(results, [Val::I32(50)]);
        assert!(threads.len() > 2, "{threads:?}");
        assert!(threads.windows(2).all(|w| w[0] != w[1]), "{threads:?}");
        assert!(!threads.contains(&std::thread::current().id()));
    }
}
