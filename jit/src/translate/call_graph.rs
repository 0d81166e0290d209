//! What the module's call graph tells the translator about each function:
//! whether a call to it can suspend, what it costs if it cannot, and
//! whether it checks its fuel on entry.
//!
//! A function is *bounded* when its whole call tree is finite and loop
//! free: no loop, no `call_indirect`, no call to an import, no recursion,
//! and only calls to bounded functions. Such a call always finishes in a
//! number of steps known at compile time, so it can never suspend: the
//! caller needs no resume point for it (no save and restore code, no
//! record), and charges its whole cost ([`CallGraph::inclusive_cost`]) in
//! its own lump, as if the callee's operators were its own. A bounded
//! function itself counts no fuel at all. Real C code calls small helpers
//! every few instructions, which is what makes this worth a module-wide
//! pass.
//!
//! Among the functions that can suspend, recursion still needs a check on
//! every cycle of calls, so a function that makes calls (to functions that
//! are not bounded) checks on entry, unless all it calls (directly, no
//! `call_indirect`) are functions that do: then each of its calls checks
//! instead, and so does every way round a cycle through it. Such functions
//! never call one another (the callee would not check), so a chain of calls
//! passes a check at least every second call.

use super::cost::body_at;
use crate::error::CompileError;
use crate::module_info::ModuleInfo;
use wasmparser::Operator;

/// The largest cost charged for one bounded call. A call tree can repeat
/// work exponentially in its depth (each function calling the next twice);
/// past this, the caller's charge suspends it at its next check anyway.
const MAX_INCLUSIVE_COST: u64 = 1 << 40;

/// Module-wide facts about calls, by module-wide function index (imports
/// first, which are never bounded and never check).
#[derive(Debug, Default, Clone)]
pub struct CallGraph {
    checks: Vec<bool>,
    /// `Some(cost)` for a bounded function: the fuel a call to it charges,
    /// the `call` operator excluded.
    bounded: Vec<Option<u64>>,
    /// By defined index: the bounded functions each calls directly, once
    /// each (what must be compiled with it when it is compiled lazily).
    bounded_callees: Vec<Box<[u32]>>,
}

/// What one function body calls, and how.
#[derive(Debug, Default)]
struct Calls {
    /// Module-wide indices of the functions called directly, once per call
    /// site (tail calls included: for cycles, boundedness and fuel they are
    /// calls like any other).
    direct: Vec<u32>,
    indirect: bool,
    loops: bool,
    /// Operators that cost fuel (see `cost.rs`): the function's own cost
    /// when it has no loop.
    cost: u64,
}

impl CallGraph {
    /// Reads every function body of `info` (parsed from `wasm`).
    pub fn scan(info: &ModuleInfo, wasm: &[u8]) -> Result<CallGraph, CompileError> {
        let bytes: usize = info.bodies.iter().map(|b| b.len()).sum();
        let threads = if bytes < (1 << 20) { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
        let calls =
            crate::parallel::map_in_order(info.bodies.len(), threads, |i| Calls::scan(wasm, info.bodies[i].clone()));
        let calls = calls.into_iter().collect::<Result<Vec<_>, _>>()?;
        let imported = info.num_imported_functions as usize;
        let bounded = bounded_functions(imported, &calls);
        let is_bounded = |f: u32| bounded.get(f as usize).is_some_and(Option::is_some);
        // Whether each function makes calls that can suspend.
        let makes_calls = |defined: usize| {
            let found = &calls[defined];
            found.indirect || found.direct.iter().any(|c| !is_bounded(*c))
        };
        let mut checks: Vec<bool> = vec![false; imported];
        checks.extend((0..calls.len()).map(makes_calls));
        // Callees of functions that stopped checking: they must go on.
        let mut kept = vec![false; checks.len()];
        for (defined, found) in calls.iter().enumerate() {
            let f = imported + defined;
            if !checks[f] || found.indirect || kept[f] {
                continue;
            }
            let suspending = || found.direct.iter().filter(|c| !is_bounded(**c));
            if suspending().all(|c| *c as usize != f && checks[*c as usize]) {
                checks[f] = false;
                for c in suspending() {
                    kept[*c as usize] = true;
                }
            }
        }
        let bounded_callees = calls
            .iter()
            .map(|found| {
                let mut callees: Vec<u32> = found.direct.iter().copied().filter(|c| is_bounded(*c)).collect();
                callees.sort_unstable();
                callees.dedup();
                callees.into_boxed_slice()
            })
            .collect();
        Ok(CallGraph { checks, bounded, bounded_callees })
    }

    /// Whether function `func_index` checks on entry.
    pub fn checks(&self, func_index: u32) -> bool {
        self.checks.get(func_index as usize).copied().unwrap_or(false)
    }

    /// For a bounded function, the fuel a call to it charges (everything
    /// its call tree runs); `None` if a call to it can suspend.
    pub fn inclusive_cost(&self, func_index: u32) -> Option<u64> {
        self.bounded.get(func_index as usize).copied().flatten()
    }

    /// The bounded functions defined function `defined` calls directly
    /// (module-wide indices, each once).
    pub fn bounded_callees(&self, defined: u32) -> &[u32] {
        self.bounded_callees.get(defined as usize).map_or(&[], |c| c)
    }

    /// Whether a call to `func_index` can never suspend.
    pub fn is_bounded(&self, func_index: u32) -> bool {
        self.inclusive_cost(func_index).is_some()
    }
}

impl Calls {
    fn scan(wasm: &[u8], range: std::ops::Range<usize>) -> Result<Calls, CompileError> {
        let body = body_at(wasm, range);
        let mut reader = body.get_operators_reader()?;
        let mut found = Calls::default();
        while !reader.eof() {
            let op = reader.read()?;
            match op {
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    found.direct.push(function_index)
                }
                Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => found.indirect = true,
                Operator::Loop { .. } => found.loops = true,
                _ => {}
            }
            if super::cost::costs_fuel(&op) {
                found.cost += 1;
            }
        }
        Ok(found)
    }
}

/// The inclusive cost of every bounded function (`None` for the others),
/// by module-wide index. A function becomes bounded once all its callees
/// are (callees first, as in a topological sort); functions on a cycle of
/// calls, or calling one, never do.
fn bounded_functions(imported: usize, calls: &[Calls]) -> Vec<Option<u64>> {
    let total = imported + calls.len();
    let mut bounded: Vec<Option<u64>> = vec![None; total];
    // Distinct callees not yet known to be bounded, and the reverse edges.
    let mut waiting = vec![0usize; calls.len()];
    let mut callers: Vec<Vec<u32>> = vec![Vec::new(); calls.len()];
    let mut ready = Vec::new();
    for (defined, found) in calls.iter().enumerate() {
        let candidate = !found.loops && !found.indirect && found.direct.iter().all(|c| *c as usize >= imported);
        if !candidate {
            waiting[defined] = usize::MAX;
            continue;
        }
        let mut distinct = found.direct.clone();
        distinct.sort_unstable();
        distinct.dedup();
        waiting[defined] = distinct.len();
        for callee in distinct {
            callers[callee as usize - imported].push(defined as u32);
        }
        if waiting[defined] == 0 {
            ready.push(defined);
        }
    }
    while let Some(defined) = ready.pop() {
        let found = &calls[defined];
        let mut cost = found.cost;
        for callee in &found.direct {
            // Every callee is bounded by now (that is what made this ready).
            let callee_cost = bounded[*callee as usize].unwrap_or(MAX_INCLUSIVE_COST);
            cost = cost.saturating_add(callee_cost);
        }
        bounded[imported + defined] = Some(cost.min(MAX_INCLUSIVE_COST));
        for caller in std::mem::take(&mut callers[defined]) {
            let w = &mut waiting[caller as usize];
            if *w != usize::MAX {
                *w -= 1;
                if *w == 0 {
                    ready.push(caller as usize);
                }
            }
        }
    }
    bounded
}

#[cfg(test)]
mod tests;
