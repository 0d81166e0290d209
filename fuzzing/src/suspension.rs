//! The suspension oracle: a generated module run with every call
//! uninterrupted and, on a second instance, with every call in tiny fuel
//! slices, each suspension saved as bytes, read back and resumed on
//! another thread. Both runs must be identical. The modules may use every
//! feature wasmbeam implements: exception handling as wasm-smith draws it,
//! typed function references through [`typed_calls`].

use crate::compare::{compare, compare_instantiation, Sides};
use crate::generate::executable_module;
use crate::plan::Plan;
use crate::typed_calls::typed_calls;
use crate::wasmbeam_side::{self, Execution, WasmbeamSubject};
use crate::{Failure, Summary};
use arbitrary::Unstructured;
use std::sync::{Mutex, OnceLock, PoisonError};
use wasmbeam_wast::Workers;

/// Fuel slices to choose from: 1 suspends at every function entry and loop
/// iteration; the others land in varied places.
const SLICES: [u64; 6] = [1, 2, 3, 7, 13, 101];

/// Builds a module and a plan from `data`, and runs the plan on one
/// instance with [`Execution::Direct`] and on another with
/// [`Execution::Sliced`] (slice chosen by `data`). `Err` at the first
/// difference, as in [`crate::differential`], or if a suspended call could
/// not be saved, read back or resumed.
pub fn suspension(data: &[u8]) -> Result<Summary, Failure> {
    let mut summary = Summary::default();
    let mut u = Unstructured::new(data);
    let Ok(mut wasm) = executable_module(&mut u, true, true) else {
        return Ok(summary);
    };
    // Half the time, direct calls go through typed function references.
    if u.arbitrary::<bool>().unwrap_or(false) {
        wasm = typed_calls(&wasm).ok_or_else(|| Failure::new("a drawn module could not be re-encoded"))?;
    }
    let fuel = u.choose(&SLICES).copied().unwrap_or(1);
    let module = wasmbeam_side::compile(&wasm)?;
    let plan = Plan::new(wasmbeam_side::exported_funcs(&module), &mut u);
    let workers = workers()?;
    // One call at a time on the shared workers; a panic elsewhere does not
    // make them unusable.
    let workers = workers.lock().unwrap_or_else(PoisonError::into_inner);
    let sides = Sides { a: "uninterrupted", b: "sliced" };
    let direct = WasmbeamSubject::instantiate(&module, Execution::Direct)?;
    let sliced = WasmbeamSubject::instantiate(&module, Execution::Sliced { fuel, workers: &workers })?;
    if let Some((mut direct, mut sliced)) = compare_instantiation(&sides, direct, sliced, &mut summary)? {
        compare(&sides, &plan, &mut direct, &mut sliced, &mut summary)?;
        summary.suspensions += sliced.suspensions;
    }
    Ok(summary)
}

/// Two worker threads for the whole process (starting them per input
/// would dominate the time of small inputs).
fn workers() -> Result<&'static Mutex<Workers>, Failure> {
    static WORKERS: OnceLock<Mutex<Workers>> = OnceLock::new();
    if let Some(workers) = WORKERS.get() {
        return Ok(workers);
    }
    let started = Workers::start("fuzz").map_err(|e| Failure::new(format!("cannot start the workers: {e}")))?;
    Ok(WORKERS.get_or_init(|| Mutex::new(started)))
}
