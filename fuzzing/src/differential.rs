//! The differential oracle: a generated module on wasmbeam and on wasmi,
//! every export called with the same arguments, everything compared.

use crate::compare::{compare, compare_instantiation, Sides};
use crate::generate::executable_module;
use crate::plan::Plan;
use crate::wasmbeam_side::{self, Execution, WasmbeamSubject};
use crate::wasmi_side::WasmiSubject;
use crate::{Failure, Summary};
use arbitrary::Unstructured;

/// Builds a module and a plan of calls from `data` and runs them on both
/// engines. `Err` at the first difference (results bit for bit, trap or
/// not and its kind, exported globals, memories and tables afterwards), or
/// if either engine refuses the module or fails otherwise than by
/// trapping. Inputs too short to make a module are `Ok` with nothing done.
pub fn differential(data: &[u8]) -> Result<Summary, Failure> {
    let mut u = Unstructured::new(data);
    match executable_module(&mut u, false, false) {
        Ok(wasm) => differential_module(&wasm, &mut u),
        Err(_) => Ok(Summary::default()),
    }
}

/// [`differential`] for a given module (which must have no imports), the
/// plan's arguments drawn from `u`.
pub fn differential_module(wasm: &[u8], u: &mut Unstructured<'_>) -> Result<Summary, Failure> {
    let mut summary = Summary::default();
    let module = wasmbeam_side::compile(wasm)?;
    let plan = Plan::new(wasmbeam_side::exported_funcs(&module), u);
    let sides = Sides { a: "wasmbeam", b: "wasmi" };
    let ours = WasmbeamSubject::instantiate(&module, Execution::Direct)?;
    let theirs = WasmiSubject::instantiate(wasm)?;
    if let Some((mut ours, mut theirs)) = compare_instantiation(&sides, ours, theirs, &mut summary)? {
        compare(&sides, &plan, &mut ours, &mut theirs, &mut summary)?;
    }
    Ok(summary)
}
