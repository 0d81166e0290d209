//! Helpers shared by the runtime's integration tests.
#![allow(dead_code)]

use wasmbeam_runtime::*;

pub fn instantiate(store: &mut Store, linker: &Linker, wat: &str) -> Instance {
    let module = Module::new(store.engine(), &wat::parse_str(wat).unwrap()).unwrap();
    linker.instantiate(store, &module).unwrap()
}

pub fn func(store: &Store, instance: Instance, name: &str) -> Func {
    instance.get_func(store, name).unwrap_or_else(|| panic!("no export `{name}`"))
}

/// Calls export `name` of `instance` with `args`, uninterrupted.
pub fn call(store: &mut Store, instance: Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
    func(store, instance, name).call(store, args)
}

pub fn trap_of<T: std::fmt::Debug>(result: Result<T, Error>) -> Trap {
    match result {
        Err(Error::Trap(trap)) => trap,
        other => panic!("expected a trap, got {other:?}"),
    }
}

/// How a sliced run went.
#[derive(Debug, Default)]
pub struct Run {
    pub yields: u64,
    pub max_continuation: usize,
}

/// Steps `call` with `slice` until it finishes or traps. Fails on a host
/// call, and when it takes more than `max_steps` steps (a call that makes
/// no progress would otherwise loop forever).
pub fn run_sliced(call: &mut Call, store: &mut Store, slice: u64, max_steps: u64) -> (Result<Vec<Val>, Error>, Run) {
    let mut run = Run::default();
    loop {
        match call.step(store, slice) {
            Ok(Step::Finished(results)) => return (Ok(results), run),
            Ok(Step::Yielded) => {
                run.yields += 1;
                run.max_continuation = run.max_continuation.max(call.continuation_size());
                assert!(call.continuation_size() > 0, "a yielded call has saved frames");
                assert!(
                    run.yields <= max_steps,
                    "no progress: still running after {} steps of {slice} fuel ({} consumed)",
                    run.yields,
                    call.fuel_consumed()
                );
            }
            Ok(Step::HostCall { func, args }) => panic!("unexpected host call {func:?}({args:?})"),
            Err(e) => return (Err(e), run),
        }
    }
}

/// Runs `f` on a new thread with a native stack of `bytes`.
pub fn on_thread<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(bytes).spawn(f).unwrap().join().unwrap()
}

/// A suspended call's pending host call, or a panic.
pub fn host_call(step: Result<Step, Error>) -> (Func, Vec<Val>) {
    match step {
        Ok(Step::HostCall { func, args }) => (func, args),
        other => panic!("expected a host call, got {other:?}"),
    }
}
