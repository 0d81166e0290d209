//! The static cost of a function, and where it must check its fuel.
//!
//! Fuel is charged in lumps: on function entry, the cost of every operator
//! outside loops; at each loop header, the cost of the operators directly
//! inside that loop (nested loops charge their own). Both arms of an `if`
//! count, so a lump bounds the work done before the next charge from above.
//! Every operator costs 1 except the purely structural ones (`block`,
//! `loop`, `end`, `else`, `nop`, `drop`), and a call to a bounded function
//! (one that can never suspend, see `call_graph.rs`) also costs what its
//! whole call tree runs.
//!
//! A *check* (fuel below zero: suspend) is needed only where work could
//! otherwise go on without bound: around every cycle of the control flow
//! and of the call graph. So:
//! - a function checks on entry only if it makes calls that can suspend
//!   (which is what recursion needs), and not even then if every function
//!   it calls checks on entry (see [`CallGraph`]);
//! - a loop checks at its header only if some way around it, from the
//!   header back to it, passes no other check: no checking loop header
//!   nested in it and no call to a function that checks on entry. A loop
//!   around an inner loop that always runs, or around a call, charges its
//!   cost without checking; the inner check sees the fuel it spent.
//!
//! Every check is a resume point, with its own save and restore code, so
//! leaving out the redundant ones is what keeps the code small.

use super::call_graph::CallGraph;
use crate::error::CompileError;
use std::collections::HashMap;
use wasmparser::{FunctionBody, Operator};

/// What the translator needs to know about a function before translating it.
#[derive(Debug, Default, Clone)]
pub struct FunctionCost {
    /// Cost charged on entry.
    pub entry: u64,
    /// Whether the entry checks the fuel (a resume point).
    pub entry_check: bool,
    /// Every loop, by the byte offset of its `loop` operator in the module.
    loops: HashMap<u64, LoopCost>,
    /// Whether the function makes calls that can suspend (to functions
    /// that are not bounded).
    pub has_calls: bool,
}

/// Fuel accounting at one loop header.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoopCost {
    /// Cost charged at the header.
    pub cost: u64,
    /// Whether the header checks the fuel (a resume point).
    pub check: bool,
    /// Whether a resume point lies inside the loop (the header's own
    /// excluded): a frame restored there enters the loop through its
    /// header, which must then let it through.
    pub encloses_points: bool,
    /// Whether a call that can suspend lies inside the loop.
    pub encloses_calls: bool,
}

impl FunctionCost {
    /// Functions with no loop and no call that can suspend finish in
    /// bounded time and never suspend: they need neither fuel checks nor
    /// resume points (their callers charge their cost).
    pub fn is_leaf(&self) -> bool {
        self.loops.is_empty() && !self.has_calls
    }

    /// The loop whose `loop` operator is at byte `offset`.
    pub fn loop_at(&self, offset: u64) -> LoopCost {
        self.loops.get(&offset).copied().unwrap_or_default()
    }
}

/// The body of a defined function, at `range` in the module's bytes.
pub fn body_at(wasm: &[u8], range: std::ops::Range<usize>) -> FunctionBody<'_> {
    FunctionBody::new(wasmparser::BinaryReader::new(&wasm[range.clone()], range.start as u64))
}

/// Whether `op` costs fuel: all but the purely structural operators.
pub fn costs_fuel(op: &Operator<'_>) -> bool {
    !matches!(
        op,
        Operator::Block { .. }
            | Operator::TryTable { .. }
            | Operator::Loop { .. }
            | Operator::Else
            | Operator::End
            | Operator::Nop
            | Operator::Drop
    )
}

/// Work allowed for carrying branch states out of nested loops (see
/// [`Scan::pending`]); past it the scan assumes the worst of the loops
/// still to close, which only adds checks.
const PENDING_BUDGET: usize = 1 << 20;

/// Scans one function body (validated).
pub fn scan(body: &FunctionBody<'_>, func_index: u32, calls: &CallGraph) -> Result<FunctionCost, CompileError> {
    let mut scan = Scan { state: Some(0), ..Scan::default() };
    scan.frames.push(Frame { kind: Kind::Function, depth: 0, merged: None });
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader.read()?;
        scan.operator(op, offset, calls)?;
    }
    let entry = scan.entry;
    let has_calls = scan.has_calls;
    let entry_check = calls.checks(func_index);
    Ok(FunctionCost { entry, entry_check, loops: scan.loops, has_calls })
}

/// What is known at a position, if it is reachable: `Some(k)` when every
/// way from the header of each of the `k` outermost open loops to here
/// passes a check (counting only checks decided so far: loops still open
/// are decided at their `end`). Those loops' flags are always a prefix: a
/// check sets all of them, a new loop starts unset inside the others.
type State = Option<usize>;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Function,
    Block,
    /// An `if`, with the state where it started (its else arm's start).
    If(State),
    /// An `if` past its `else`.
    Else,
    Loop,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// Loops whose flags a branch to this frame carries: those around it,
    /// and for a loop, itself (a branch to a loop goes round it).
    depth: usize,
    /// Block or if: the state at the end, merged over all ways there.
    /// Loop: merged over the branches back to the header.
    merged: State,
}

#[derive(Debug)]
struct OpenLoop {
    offset: u64,
    /// The frame of this loop in `Scan::frames`.
    frame: usize,
    cost: u64,
    encloses_points: bool,
    encloses_calls: bool,
    /// Branches from inside this loop to frames outside it, with their
    /// states: what they carry depends on whether this loop checks, known
    /// at its `end`.
    pending: Vec<(usize, usize)>,
}

#[derive(Debug, Default)]
struct Scan {
    frames: Vec<Frame>,
    open: Vec<OpenLoop>,
    state: State,
    entry: u64,
    has_calls: bool,
    loops: HashMap<u64, LoopCost>,
    pending_work: usize,
    /// The open `try_table`s: each one's frame and its clauses' labels
    /// (relative to the frame around it). A call or throw inside branches
    /// to each label.
    handlers: Vec<(usize, Vec<u32>)>,
}

impl Scan {
    fn operator(&mut self, op: Operator<'_>, offset: u64, calls: &CallGraph) -> Result<(), CompileError> {
        let depth = self.open.len();
        let mut cost = u64::from(costs_fuel(&op));
        match op {
            Operator::Block { .. } => {
                self.frames.push(Frame { kind: Kind::Block, depth, merged: None });
                return Ok(());
            }
            Operator::TryTable { try_table } => {
                self.frames.push(Frame { kind: Kind::Block, depth, merged: None });
                let labels = try_table.catches.iter().map(catch_label).collect();
                self.handlers.push((self.frames.len() - 1, labels));
                return Ok(());
            }
            Operator::Throw { .. } | Operator::ThrowRef => {
                self.may_throw();
                self.state = None;
            }
            Operator::Loop { .. } => {
                let frame = self.frames.len();
                self.frames.push(Frame { kind: Kind::Loop, depth: depth + 1, merged: None });
                self.open.push(OpenLoop {
                    offset,
                    frame,
                    cost: 0,
                    encloses_points: false,
                    encloses_calls: false,
                    pending: Vec::new(),
                });
                return Ok(());
            }
            Operator::If { .. } => {
                self.frames.push(Frame { kind: Kind::If(self.state), depth, merged: None });
            }
            Operator::Else => {
                let state = self.state;
                if let Some(frame) = self.frames.last_mut() {
                    if let Kind::If(start) = frame.kind {
                        frame.merged = merge(frame.merged, state);
                        frame.kind = Kind::Else;
                        self.state = start;
                    }
                }
                return Ok(());
            }
            Operator::End => {
                self.end();
                return Ok(());
            }
            Operator::Nop | Operator::Drop => return Ok(()),
            Operator::Br { relative_depth } => {
                self.branch(relative_depth);
                self.state = None;
            }
            Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth } => self.branch(relative_depth),
            Operator::BrTable { targets } => {
                let mut depths = targets.targets().collect::<Result<Vec<u32>, _>>()?;
                depths.push(targets.default());
                depths.sort_unstable();
                depths.dedup();
                for relative_depth in depths {
                    self.branch(relative_depth);
                }
                self.state = None;
            }
            Operator::Return | Operator::Unreachable => self.state = None,
            Operator::Call { function_index } => {
                match calls.inclusive_cost(function_index) {
                    Some(callee) => cost = cost.saturating_add(callee),
                    None => {
                        self.call();
                        if calls.checks(function_index) {
                            self.state = self.state.map(|_| depth);
                        }
                    }
                }
                self.may_throw();
            }
            Operator::CallIndirect { .. } | Operator::CallRef { .. } => {
                self.call();
                self.may_throw();
            }
            // A tail call leaves the function: no resume point here, but
            // the function counts fuel (the callee's entry checks it if
            // the call graph says so).
            Operator::ReturnCall { function_index } => {
                match calls.inclusive_cost(function_index) {
                    Some(callee) => cost = cost.saturating_add(callee),
                    None => self.has_calls = true,
                }
                self.state = None;
            }
            Operator::ReturnCallIndirect { .. } | Operator::ReturnCallRef { .. } => {
                self.has_calls = true;
                self.state = None;
            }
            _ => {}
        }
        match self.open.last_mut() {
            Some(open) => open.cost = open.cost.saturating_add(cost),
            None => self.entry = self.entry.saturating_add(cost),
        }
        Ok(())
    }

    fn call(&mut self) {
        self.has_calls = true;
        // The translator skips unreachable code: no resume point there.
        if let Some(open) = self.open.last_mut().filter(|_| self.state.is_some()) {
            open.encloses_points = true;
            open.encloses_calls = true;
        }
    }

    /// Where a throw here may go: every catch clause's label of the open
    /// `try_table`s (a catch is a branch from the call or throw).
    fn may_throw(&mut self) {
        let targets: Vec<usize> = self
            .handlers
            .iter()
            .flat_map(|(frame, labels)| labels.iter().filter_map(move |l| frame.checked_sub(1 + *l as usize)))
            .collect();
        for target in targets {
            self.branch_to(target);
        }
    }

    /// A branch to the frame `relative_depth` out, in the current state.
    fn branch(&mut self, relative_depth: u32) {
        let Some(target) = self.frames.len().checked_sub(relative_depth as usize + 1) else { return };
        self.branch_to(target);
    }

    /// A branch to the frame at `target` in `frames`, in the current state.
    fn branch_to(&mut self, target: usize) {
        let Some(k) = self.state else { return };
        let depth = self.frames[target].depth;
        if matches!(self.frames[target].kind, Kind::Function) {
            return;
        }
        if depth == self.open.len() || self.pending_work >= PENDING_BUDGET {
            // No loop between here and the target still to be decided (or
            // no budget left to wait: assume they do not check).
            self.deliver(target, k);
        } else if let Some(open) = self.open.last_mut() {
            self.pending_work += 1;
            open.pending.push((target, k));
        }
    }

    /// Merges state `k` into frame `target`'s.
    fn deliver(&mut self, target: usize, k: usize) {
        let frame = &mut self.frames[target];
        frame.merged = merge(frame.merged, Some(k.min(frame.depth)));
    }

    fn end(&mut self) {
        let Some(frame) = self.frames.pop() else { return };
        if self.handlers.last().is_some_and(|(f, _)| *f == self.frames.len()) {
            self.handlers.pop();
        }
        match frame.kind {
            Kind::Function => {}
            Kind::Block | Kind::Else => self.state = merge(frame.merged, self.state),
            Kind::If(start) => self.state = merge(merge(frame.merged, self.state), start),
            Kind::Loop => self.end_loop(frame),
        }
    }

    /// A loop checks if some branch back to its header comes round without
    /// its flag set.
    fn end_loop(&mut self, frame: Frame) {
        let Some(open) = self.open.pop() else { return };
        debug_assert_eq!(open.frame, self.frames.len());
        let depth = frame.depth;
        let check = frame.merged.is_some_and(|k| k < depth);
        let outside = depth - 1;
        let mut pending = open.pending;
        pending.sort_unstable();
        pending.dedup_by(|a, b| a.0 == b.0);
        for (target, k) in pending {
            // Every way out of a checking loop passed its header.
            let k = if check { usize::MAX } else { k };
            if self.frames[target].depth == outside || self.pending_work >= PENDING_BUDGET {
                self.deliver(target, k);
            } else if let Some(parent) = self.open.last_mut() {
                self.pending_work += 1;
                parent.pending.push((target, k));
            }
        }
        self.state = self.state.map(|k| if check { outside } else { k.min(outside) });
        if let Some(parent) = self.open.last_mut() {
            parent.encloses_points |= check || open.encloses_points;
            parent.encloses_calls |= open.encloses_calls;
        }
        let (encloses_points, encloses_calls) = (open.encloses_points, open.encloses_calls);
        self.loops.insert(open.offset, LoopCost { cost: open.cost, check, encloses_points, encloses_calls });
    }
}

/// The label a catch clause branches to.
pub(super) fn catch_label(catch: &wasmparser::Catch) -> u32 {
    match *catch {
        wasmparser::Catch::One { label, .. }
        | wasmparser::Catch::OneRef { label, .. }
        | wasmparser::Catch::All { label }
        | wasmparser::Catch::AllRef { label } => label,
    }
}

fn merge(a: State, b: State) -> State {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
impl FunctionCost {
    /// The loops in code order.
    fn loops_in_order(&self) -> Vec<LoopCost> {
        let mut loops: Vec<(u64, LoopCost)> = self.loops.iter().map(|(o, l)| (*o, *l)).collect();
        loops.sort_by_key(|l| l.0);
        loops.into_iter().map(|l| l.1).collect()
    }
}

#[cfg(test)]
mod tests;
