//! The runtime's side of a suspending host function (see "Suspending host
//! functions" in `wasmbeam_jit::vm`), called by the host dispatcher.
//!
//! - State RUNNING ([`suspend`]): if the activation can suspend, remember
//!   the function and its arguments as the reason and set UNWINDING; every
//!   Wasm frame then saves its record and returns, and `Call::step` reports
//!   `Step::HostCall`.
//! - State REWINDING ([`deliver`]): the frame that made the call re-issued
//!   it on resume. Write the embedder's results (or raise its trap), or, if
//!   the embedder asked for it, have the dispatcher run the host function
//!   again; set RUNNING and restore the real stack limit: the rewind ends
//!   here.

use crate::call::activation::{current, HostAnswer, RawAnswer, Stop, SuspendReason};
use crate::func::Func;
use crate::host::cannot_suspend;
use crate::store::Store;
use crate::values::Val;
use wasmbeam_jit::vm::{ExecCtx, STATE_RUNNING, STATE_UNWINDING};

/// A host function `func` called with `args` in state RUNNING suspends
/// the call (it is a suspending one, or one that may suspend and asked to).
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

/// What [`deliver`] did.
pub(crate) enum Delivered {
    /// The embedder's results are in the slots: the host call returns.
    Results,
    /// The embedder asked for the host function to run again, with these
    /// arguments (those of the call that suspended).
    Again(Vec<Val>),
}

/// The suspending host function `func` was re-entered while rewinding:
/// deliver the answer into its slot array `values`, or say to run it
/// again. Either way the rewind ends here: the state is RUNNING after.
pub(crate) fn deliver(
    store: &mut Store,
    exec: &mut ExecCtx,
    func: Func,
    values: &mut [u64],
) -> Result<Delivered, Stop> {
    let activation = current(store, exec)?;
    let answer = activation.suspension.as_mut().and_then(|s| s.answer.take());
    let Some(HostAnswer { func: expected, answer }) = answer else {
        return Err(Stop::Mismatch("resumed into a host function, with no answer to give it".into()));
    };
    if expected != func {
        return Err(Stop::Mismatch("resumed into another host function than the one that was called".into()));
    }
    let stack_limit = exec.saved_stack_limit;
    exec.stack_limit = stack_limit;
    if let Some(suspension) = &activation.suspension {
        if !suspension.buffer.is_empty_in(exec) {
            return Err(Stop::Mismatch("saved frames were left when the rewind reached the host function".into()));
        }
    }
    let results = match answer {
        RawAnswer::Results(results) => results,
        RawAnswer::Trap(trap) => return Err(trap.into()),
        // The dispatcher throws it (see `host.rs`).
        RawAnswer::Throw(exception) => return Err(Stop::Error(crate::error::Error::Exception(exception))),
        RawAnswer::Again(args) => {
            exec.state = STATE_RUNNING;
            return Ok(Delivered::Again(args));
        }
    };
    if results.len() > values.len() {
        return Err(Stop::internal("more results than the host stub has slots"));
    }
    values[..results.len()].copy_from_slice(&results);
    exec.state = STATE_RUNNING;
    Ok(Delivered::Results)
}
