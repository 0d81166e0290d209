//! Which functions are bounded, what calling them costs, and which check
//! on entry.

use super::{CallGraph, MAX_INCLUSIVE_COST};

fn graph(wat: &str) -> (CallGraph, u32) {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let info = crate::parse(&wasm).expect("valid module");
    let functions = info.functions.len() as u32;
    (CallGraph::scan(&info, &wasm).expect("scans"), functions)
}

/// The inclusive cost of every function (`None`: can suspend).
fn bounded(wat: &str) -> Vec<Option<u64>> {
    let (graph, n) = graph(wat);
    (0..n).map(|f| graph.inclusive_cost(f)).collect()
}

#[test]
fn call_trees_without_loops_are_bounded_and_cost_what_they_run() {
    // $leaf: const, drop (free) = 1. $twice: two calls to $leaf (1 each)
    // + 2 x 1. $top: call + 1 (the nop is free) + $twice's 4.
    let costs = bounded(
        "(module (func $leaf (drop (i32.const 1)))
           (func $twice (call $leaf) (call $leaf))
           (func $top (nop) (call $twice)))",
    );
    assert_eq!(costs, [Some(1), Some(4), Some(5)]);
}

#[test]
fn loops_recursion_imports_and_indirect_calls_can_suspend() {
    let costs = bounded(
        "(module (import \"m\" \"f\" (func $imp))
           (type $t (func)) (table 1 funcref)
           (func $looping (loop (br 0)))
           (func $calls_looping (call $looping))
           (func $recursive (call $recursive))
           (func $a (call $b)) (func $b (call $a))
           (func $host (call $imp))
           (func $indirect (call_indirect (type $t) (i32.const 0)))
           (func $leaf))",
    );
    assert_eq!(costs, [None, None, None, None, None, None, None, None, Some(0)]);
}

#[test]
fn a_function_calling_a_bounded_one_that_was_declared_later_is_bounded() {
    let costs = bounded("(module (func $a (call $b)) (func $b (call $c)) (func $c))");
    assert_eq!(costs, [Some(2), Some(1), Some(0)]);
}

#[test]
fn exponential_call_trees_saturate() {
    // Each level calls the next twice: 2^60 leaves.
    let mut wat = String::from("(module (func $f0 (drop (i32.const 0)))");
    for level in 1..=60 {
        wat.push_str(&format!(" (func $f{level} (call $f{prev}) (call $f{prev}))", prev = level - 1));
    }
    wat.push(')');
    let costs = bounded(&wat);
    assert_eq!(costs[60], Some(MAX_INCLUSIVE_COST));
    // $f0 costs 1; $f1 two calls of it and its own two; $f2 likewise.
    let f1 = 2 + 2;
    assert_eq!(costs[2], Some(2 * f1 + 2));
}

#[test]
fn only_functions_with_calls_that_can_suspend_check_on_entry() {
    let (graph, n) = graph(
        "(module (func $rec (call $rec)) (func $leaf) (func $calls_leaf (call $leaf))
           (func $calls_rec (call $rec) (call $leaf)) (func $loop (loop (br 0))) (func $calls_loop (call $loop)))",
    );
    let checks: Vec<bool> = (0..n).map(|f| graph.checks(f)).collect();
    // $calls_rec only calls a checking function: each of its calls checks.
    assert_eq!(checks, [true, false, false, false, false, true]);
}
