//! The runtime's side of a suspending host function (see "Suspending host
//! functions" in `wasmbeam_jit::vm`), called by the host dispatcher.
//!
//! - State RUNNING ([`suspend`]): if the activation can suspend, remember
//!   the function and its arguments as the reason and set UNWINDING; every
//!   Wasm frame then saves its record and returns, and `Call::step` reports
//!   `Step::HostCall`.
//! - State REWINDING ([`deliver`]): the frame that made the call re-issued
//!   it on resume. Write the embedder's results (or raise its trap), set
//!   RUNNING and restore the real stack limit: the rewind ends here.

use crate::call::activation::{current, HostAnswer, Stop, SuspendReason};
use crate::func::Func;
use crate::host::cannot_suspend;
use crate::store::Store;
use crate::values::Val;
use wasmbeam_jit::vm::{ExecCtx, STATE_RUNNING, STATE_UNWINDING};

/// A suspending host function `func` was called with `args` in state
/// RUNNING.
pub(crate) fn suspend(store: &mut Store, exec: &mut ExecCtx, func: Func, args: Vec<Val>) -> Result<(), Stop> {
    if !store.engine().config().reductions {
        return Err(cannot_suspend("the engine was built with Config::reductions = false").into());
    }
    let activation = current(store, exec)?;
    let Some(suspension) = activation.suspension.as_mut() else {
        return Err(cannot_suspend(
            "Func::call, a start function, or a call from a native host function; use Func::start and Call::step",
        )
        .into());
    };
    if !suspension.buffer.is_empty_in(exec) || suspension.reason.is_some() {
        return Err(Stop::internal("a host call suspended with saved frames still pending"));
    }
    suspension.reason = Some(SuspendReason::HostCall { func, args });
    exec.state = STATE_UNWINDING;
    Ok(())
}

/// The suspending host function `func` was re-entered while rewinding:
/// deliver the answer into its slot array `values`.
pub(crate) fn deliver(store: &mut Store, exec: &mut ExecCtx, func: Func, values: &mut [u64]) -> Result<(), Stop> {
    let activation = current(store, exec)?;
    let answer = activation.suspension.as_mut().and_then(|s| s.answer.take());
    let Some(HostAnswer { func: expected, results }) = answer else {
        return Err(Stop::Mismatch("resumed into a host function, with no answer to give it".into()));
    };
    if expected != func {
        return Err(Stop::Mismatch("resumed into another host function than the one that was called".into()));
    }
    let stack_limit = exec.saved_stack_limit;
    exec.stack_limit = stack_limit;
    let results = results?;
    if let Some(suspension) = &activation.suspension {
        if !suspension.buffer.is_empty_in(exec) {
            return Err(Stop::Mismatch("saved frames were left when the rewind reached the host function".into()));
        }
    }
    if results.len() > values.len() {
        return Err(Stop::internal("more results than the host stub has slots"));
    }
    values[..results.len()].copy_from_slice(&results);
    exec.state = STATE_RUNNING;
    Ok(())
}
