//! Which loops and functions check their fuel.

use super::{body_at, scan, FunctionCost, LoopCost};
use crate::translate::call_graph::CallGraph;

/// The costs of every defined function of a module.
fn costs(wat: &str) -> Vec<FunctionCost> {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let info = crate::parse(&wasm).expect("valid module");
    let checks = CallGraph::scan(&info, &wasm).expect("scans");
    let imported = info.num_imported_functions;
    (info.bodies.iter().enumerate())
        .map(|(i, range)| scan(&body_at(&wasm, range.clone()), imported + i as u32, &checks).expect("scans"))
        .collect()
}

/// Whether each loop of the only function checks, in code order.
fn checks(body: &str) -> Vec<bool> {
    let wat = format!("(module (func $leaf) (func $caller call $caller) (func (param i32) {body}))");
    costs(&wat)[2].loops_in_order().iter().map(|l| l.check).collect()
}

#[test]
fn a_loop_checks_unless_every_way_round_passes_a_check() {
    // Alone, it checks.
    assert_eq!(checks("(loop (br_if 0 (local.get 0)))"), [true]);
    // Around a loop that always runs, only the inner one checks.
    assert_eq!(checks("(loop (loop (br_if 0 (local.get 0))) (br_if 0 (local.get 0)))"), [false, true]);
    // Around a loop that can be skipped, both do.
    assert_eq!(
        checks("(loop (block (br_if 0 (local.get 0)) (loop (br_if 0 (local.get 0)))) (br_if 0 (local.get 0)))"),
        [true, true]
    );
    // Around a loop only one arm of an `if` enters, both do; in both arms, only the inner ones.
    assert_eq!(checks("(loop (if (local.get 0) (then (loop (br_if 0 (local.get 0))))) (br 0))"), [true, true]);
    assert_eq!(
        checks(
            "(loop (if (local.get 0) (then (loop (br_if 0 (local.get 0)))) (else (loop (br_if 0 (local.get 0))))) (br 0))"
        ),
        [false, true, true]
    );
    // A branch back before the inner loop makes the outer one check.
    assert_eq!(
        checks("(loop (br_if 0 (local.get 0)) (loop (br_if 0 (local.get 0))) (br_if 0 (local.get 0)))"),
        [true, true]
    );
    // A loop nobody branches back to runs once: no check.
    assert_eq!(checks("(loop (nop))"), [false]);
}

#[test]
fn branches_out_of_a_checking_loop_carry_its_check() {
    // The inner loop always checks; the way out of it to the outer loop's
    // back edge, through a block, passed that check.
    assert_eq!(
        checks("(loop (block (loop (br_if 1 (local.get 0)) (br_if 0 (local.get 0)))) (br_if 0 (local.get 0)))"),
        [false, true]
    );
    // A branch from inside a loop that does not check (it runs once) does
    // not carry a check.
    assert_eq!(checks("(loop (block (loop (br_if 1 (local.get 0)))) (br_if 0 (local.get 0)))"), [true, false]);
    // Straight from the inner loop to the outer header: the inner header
    // checked on the way.
    assert_eq!(checks("(loop (loop (br_if 1 (local.get 0)) (br 0)))"), [false, true]);
}

#[test]
fn calls_to_functions_that_check_on_entry_are_checks() {
    assert_eq!(checks("(loop (call $caller) (br_if 0 (local.get 0)))"), [false]);
    // A leaf function does not check (nor suspend).
    assert_eq!(checks("(loop (call $leaf) (br_if 0 (local.get 0)))"), [true]);
    // Nor is the callee of `call_indirect` known.
    let wat = "(module (type $t (func)) (table 1 funcref) (func $caller call $caller)
        (func (param i32) (loop (call_indirect (type $t) (i32.const 0)) (br_if 0 (local.get 0)))))";
    assert_eq!(costs(wat)[1].loops_in_order().iter().map(|l| l.check).collect::<Vec<_>>(), [true]);
}

#[test]
fn only_functions_that_call_check_on_entry() {
    let costs = costs(
        "(module (func $leaf (drop (i32.const 1)))
           (func $looping (loop (br 0)))
           (func $calling (call $leaf))
           (func $calling_looping (call $looping)))",
    );
    let entry: Vec<(bool, bool)> = costs.iter().map(|c| (c.entry_check, c.is_leaf())).collect();
    // Calling only a leaf, a function is bounded: a leaf itself.
    assert_eq!(entry, [(false, true), (false, false), (false, true), (true, false)]);
}

#[test]
fn a_function_that_only_calls_checking_functions_does_not_check() {
    let entry = |wat: &str| costs(wat).iter().map(|c| c.entry_check).collect::<Vec<bool>>();
    // `run` calls the recursive `fib`, which checks.
    assert_eq!(entry("(module (func $run (call $fib)) (func $fib (call $fib)))"), [false, true]);
    // Mutual recursion: one of the two checks, and the cycle passes it.
    assert_eq!(entry("(module (func $a (call $b)) (func $b (call $a)))"), [false, true]);
    // A chain down to a looping function: its caller checks (it does
    // not: its loop does); so does the callee of a function that stopped
    // checking, and in module order, $a stops first.
    assert_eq!(
        entry("(module (func $a (call $b)) (func $b (call $c)) (func $c (call $d)) (func $d (loop (br 0))))"),
        [false, true, true, false]
    );
    // Never two functions in a row without a check.
    assert_eq!(
        entry("(module (func $d (loop (br 0))) (func $c (call $d)) (func $b (call $c)) (func $a (call $b)))"),
        [false, true, false, true]
    );
    // An indirect call or an import could be anything: check.
    assert_eq!(
        entry(
            "(module (import \"m\" \"f\" (func $imp)) (type $t (func)) (table 1 funcref)
               (func $i (call_indirect (type $t) (i32.const 0))) (func $j (call $imp)) (func $k (call $i)))"
        ),
        [true, true, false]
    );
}

#[test]
fn loops_know_whether_they_enclose_resume_points() {
    let costs = costs(
        "(module (func $f (param i32)
           (loop (loop (br_if 0 (local.get 0))) (br_if 0 (local.get 0)))
           (loop (nop))
           (loop (call $f (i32.const 0)))))",
    );
    let loops = costs[0].loops_in_order();
    let summary: Vec<(bool, bool)> = loops.iter().map(|l| (l.check, l.encloses_points)).collect();
    assert_eq!(summary, [(false, true), (true, false), (false, false), (false, true)]);
}

#[test]
fn unreachable_calls_are_no_resume_points() {
    // The translator skips code after `br`: the call there is no point, so
    // the loop has none inside and needs no hop.
    let costs = costs("(module (func $f (loop (br 1) (call $f))))");
    assert_eq!(costs[0].loops_in_order().iter().map(|l| l.encloses_points).collect::<Vec<_>>(), [false]);
}

#[test]
fn costs_are_charged_where_the_code_is() {
    let costs = costs(
        "(module (func (param i32) (result i32)
           (local.get 0)
           (loop (br_if 0 (i32.eqz (i32.const 1))))
           (loop (nop)) (block (unreachable) (loop (br 0)))))",
    );
    let loops: Vec<u64> = costs[0].loops_in_order().iter().map(|l: &LoopCost| l.cost).collect();
    // local.get, unreachable; then const + eqz + br_if; nothing; br.
    assert_eq!((costs[0].entry, loops), (2, vec![3, 0, 1]));
}

#[test]
fn a_call_to_a_bounded_function_charges_its_whole_cost_and_is_no_resume_point() {
    let costs = costs(
        "(module (func $helper (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
           (func (param i32) (result i32)
             (call $helper (local.get 0))
             (loop (drop (call $helper (local.get 0))) (br_if 0 (local.get 0)))))",
    );
    // Outside the loop: local.get, call (1 + $helper's 3). In the loop:
    // local.get, call (4), local.get, br_if.
    assert_eq!(costs[1].entry, 5);
    let loops = costs[1].loops_in_order();
    assert_eq!(loops.iter().map(|l| (l.cost, l.check, l.encloses_points)).collect::<Vec<_>>(), [(7, true, false)]);
    assert!(!costs[1].has_calls);
}
