//! Bugs of the reference engine (wasmi 2.0.0) that the differential oracle
//! found, kept as tests: wasmbeam must give the specification's answer, and
//! wasmi's wrong one is checked too, so that this test fails (and the
//! generator's workaround can go) once a wasmi upgrade fixes it.

use wasmbeam_fuzzing::plan::{ExportedFunc, Plan, PlannedCall};
use wasmbeam_fuzzing::subject::Subject;
use wasmbeam_fuzzing::value::{CallOutcome, Value};
use wasmbeam_fuzzing::wasmbeam_side::{compile, Execution, WasmbeamSubject};
use wasmbeam_fuzzing::wasmi_side::WasmiSubject;

/// `7 + select(1, x, x == 0)` with `x` a local just set to 3: the
/// specification says 10 (`select` picks its second operand when the
/// condition is 0). wasmi 2.0.0 picks the first and returns 8. This is the
/// guard wasm-smith's `disallow_traps` puts in front of every division, so
/// the differential generator turns `disallow_traps` off.
#[test]
fn wasmi_2_0_0_select_after_a_constant_local_set() {
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (result i32) (local i32)
             i32.const 7
             i32.const 3 local.set 0
             i32.const 1 local.get 0 local.get 0 i32.eqz select
             i32.add))"#,
    )
    .expect("valid text");
    let funcs = vec![ExportedFunc { name: "f".into(), params: vec![], results: vec![wasmbeam::ValType::I32] }];
    let plan = Plan { funcs, calls: vec![PlannedCall { func: 0, args: vec![] }] };
    let module = compile(&wasm).expect("compiles");
    let mut ours = WasmbeamSubject::instantiate(&module, Execution::Direct).expect("no failure").expect("instantiates");
    let mut theirs = WasmiSubject::instantiate(&wasm).expect("no failure").expect("instantiates");
    assert_eq!(ours.call(&plan, &plan.calls[0]), Ok(CallOutcome::Returned(vec![Value::I32(10)])));
    assert_eq!(
        theirs.call(&plan, &plan.calls[0]),
        Ok(CallOutcome::Returned(vec![Value::I32(8)])),
        "wasmi got this right: remove this test and let executable_module use trap guards again"
    );
}
