//! Running a WASI command on the current thread, for embedders without a
//! scheduler of their own (the CLI, tests): [`run`], [`run_sliced`] and
//! [`run_call`] drive the call and answer its waits by sleeping.

use crate::ctx::{Wait, Wasi};
use wasmbeam_runtime::{Call, Error, Linker, Module, Step, Store};

/// Instantiates the command `module` with `linker` (which must define the
/// WASI functions, see [`Wasi::add_to_linker`]) and runs its `_start` to
/// the end; returns its exit status (0 when `_start` returns, the status
/// `proc_exit` gave otherwise). Errors: link errors, traps, and a module
/// that exports no `_start` ([`Error::BadArgument`]).
pub fn run(store: &mut Store, linker: &Linker, module: &Module, wasi: &Wasi) -> Result<i32, Error> {
    run_sliced(store, linker, module, wasi, u64::MAX)
}

/// [`run`], with the call stepped `fuel_per_step` fuel at a time: it
/// suspends after each step's fuel is spent and is resumed at once, which
/// is what a scheduler does with it (`wasmbeam run --fuel-slice N`).
pub fn run_sliced(
    store: &mut Store,
    linker: &Linker,
    module: &Module,
    wasi: &Wasi,
    fuel_per_step: u64,
) -> Result<i32, Error> {
    let instance = linker.instantiate(store, module)?;
    let start = instance
        .get_func(store, "_start")
        .ok_or_else(|| Error::BadArgument("the module exports no `_start`: not a WASI command".into()))?;
    let mut call = start.start(store, &[])?;
    run_call(store, &mut call, wasi, fuel_per_step)
}

/// Steps `call` to its end, answering the waits of WASI calls on this
/// thread: a `poll_oneoff` sleeps until its deadline; a read of a stdin
/// stream that nobody else can feed here ends the stream (end of file).
/// Each step gets `fuel_per_step` fuel (`u64::MAX`: as much as it takes).
/// Returns the exit status, as [`run`].
pub fn run_call(store: &mut Store, call: &mut Call, wasi: &Wasi, fuel_per_step: u64) -> Result<i32, Error> {
    loop {
        match call.step(store, fuel_per_step) {
            Ok(Step::Finished(_)) => return Ok(0),
            Ok(Step::Yielded) => continue,
            Ok(Step::HostCall { .. }) => {
                match wasi.take_wait() {
                    Some(Wait::Stdin) => wasi.end_stdin(),
                    Some(wait @ Wait::Poll { .. }) => match wait.timeout() {
                        Some(timeout) => std::thread::sleep(timeout),
                        None => wasi.end_stdin(),
                    },
                    None => {
                        return Err(Error::BadArgument(
                            "the call waits in a host function that is not WASI's: run_call cannot answer it".into(),
                        ))
                    }
                }
                call.resume_again()?;
            }
            Err(Error::Exit(status)) => return Ok(status),
            Err(e) => return Err(e),
        }
    }
}
