//! Which locals are live at each resume point, so that a suspended frame
//! saves only those (see `suspend.rs`).
//!
//! A local is *live* at a point if some path from there reads it before
//! writing it. The pass builds a control flow graph of the body's basic
//! blocks from Wasm's structured control (a `loop` starts the block its
//! branches target; a `block`, an `if` and the function end at the block
//! theirs target; every branch, and every call, ends a block), then
//! solves the classic backward equations `in = gen ∪ (out − kill)`, `out =
//! ∪ in(successors)` to a fixpoint.
//!
//! A resume point's frame continues at the start of a block of its own: a
//! loop's header block (the fuel check charges before the body, which is
//! where a restored frame continues), the block after a call, the first
//! block of the function. Its live set is that block's `in`.
//!
//! It also lists the locals each loop reads and writes (for where a loop's header
//! keeps the locals, see `joins.rs`).
//!
//! Functions whose bit sets would be too large (many locals times many
//! blocks) are not analyzed: every local is treated as live everywhere,
//! which is always correct, only bigger.

use crate::error::CompileError;
use std::collections::HashMap;
use wasmparser::{FunctionBody, Operator};

/// Bit-set words the three per-block sets (`gen`, `kill`, `in`) may take
/// together, each; above this a function is not analyzed.
const MAX_WORDS: usize = 1 << 19;

/// The result of [`scan`].
#[derive(Debug, Default)]
pub struct Liveness {
    /// Live locals at each loop and call, by the operator's offset in the
    /// module; `None` if the function was not analyzed (all are live).
    at: Option<HashMap<u64, Box<[u32]>>>,
    /// Live parameters at function entry (declared locals are zero there,
    /// whether a frame is restored or not, so they never need saving).
    entry: Box<[u32]>,
    /// The locals each loop reads and writes (nested loops included), by
    /// the offset of its `loop` operator; `None` if not known.
    loops: Option<HashMap<u64, Accessed>>,
}

impl Liveness {
    /// Locals to save at the `loop` or call operator at byte `offset`, in
    /// increasing order; `None`: all of them.
    pub fn at(&self, offset: u64) -> Option<&[u32]> {
        self.at.as_ref().map(|at| at.get(&offset).map_or(&[][..], |live| &live[..]))
    }

    /// The most locals any resume point saves, in a function of
    /// `num_locals` locals (parameters included): all of them if the
    /// function was not analyzed.
    pub fn most_saved(&self, num_locals: usize) -> usize {
        match &self.at {
            None => num_locals,
            Some(at) => at.values().map(|live| live.len()).chain([self.entry.len()]).max().unwrap_or(0),
        }
    }

    /// The locals the loop at byte `offset` reads, in increasing order;
    /// `None`: not known (any of them).
    pub fn read_in_loop(&self, offset: u64) -> Option<&[u32]> {
        self.loops.as_ref()?.get(&offset).map(|a| &a.read[..])
    }

    /// The locals the loop at byte `offset` writes, in increasing order;
    /// `None`: not known (any of them).
    pub fn written_in_loop(&self, offset: u64) -> Option<&[u32]> {
        self.loops.as_ref()?.get(&offset).map(|a| &a.written[..])
    }

    /// Locals to save at function entry, in increasing order; `None`: all
    /// parameters.
    pub fn entry(&self) -> Option<&[u32]> {
        self.at.as_ref().map(|_| &self.entry[..])
    }
}

/// The control flow graph under construction, with one bit set of locals
/// per basic block for each of `gen` (read before written in the block) and
/// `kill` (written in the block).
struct Graph {
    /// Words per bit set.
    words: usize,
    gen: Vec<u64>,
    kill: Vec<u64>,
    succs: Vec<Vec<u32>>,
}

/// A graph too large to analyze.
struct TooLarge;

impl Graph {
    fn node(&mut self) -> Result<u32, TooLarge> {
        if self.gen.len() + self.words > MAX_WORDS {
            return Err(TooLarge);
        }
        self.gen.resize(self.gen.len() + self.words, 0);
        self.kill.resize(self.kill.len() + self.words, 0);
        self.succs.push(Vec::new());
        Ok((self.succs.len() - 1) as u32)
    }

    fn edge(&mut self, from: u32, to: u32) {
        self.succs[from as usize].push(to);
    }

    fn read(&mut self, node: u32, local: u32) {
        let (word, bit) = (node as usize * self.words + local as usize / 64, 1u64 << (local % 64));
        if self.kill[word] & bit == 0 {
            self.gen[word] |= bit;
        }
    }

    fn write(&mut self, node: u32, local: u32) {
        let (word, bit) = (node as usize * self.words + local as usize / 64, 1u64 << (local % 64));
        self.kill[word] |= bit;
    }

    /// Each block's `in` set, by solving the equations to a fixpoint
    /// (blocks in reverse order, so most edges are seen after their
    /// target: a few rounds, one more per loop nesting level).
    fn solve(&self) -> Vec<u64> {
        let w = self.words;
        let mut live = vec![0u64; self.gen.len()];
        let mut out = vec![0u64; w];
        let mut changed = true;
        while changed {
            changed = false;
            for node in (0..self.succs.len()).rev() {
                out.fill(0);
                for succ in &self.succs[node] {
                    let s = *succ as usize * w;
                    for (o, l) in out.iter_mut().zip(&live[s..s + w]) {
                        *o |= l;
                    }
                }
                let n = node * w;
                for i in 0..w {
                    let new = self.gen[n + i] | (out[i] & !self.kill[n + i]);
                    if new != live[n + i] {
                        live[n + i] = new;
                        changed = true;
                    }
                }
            }
        }
        live
    }
}

/// A control frame of the scan: where its branches go.
enum Frame {
    /// A `block`, or the function body: branches go to `end`.
    Block {
        end: u32,
    },
    Loop {
        header: u32,
    },
    /// An `if`: `else_node` starts the else arm (empty if there is none).
    If {
        end: u32,
        else_node: u32,
        has_else: bool,
    },
}

impl Frame {
    fn target(&self) -> u32 {
        match *self {
            Frame::Block { end } | Frame::If { end, .. } => end,
            Frame::Loop { header } => header,
        }
    }
}

/// Analyzes a validated function body with `num_locals` locals, of which
/// the first `num_params` are parameters.
pub fn scan(body: &FunctionBody<'_>, num_params: usize, num_locals: usize) -> Result<Liveness, CompileError> {
    let words = num_locals.div_ceil(64).max(1);
    let mut graph = Graph { words, gen: Vec::new(), kill: Vec::new(), succs: Vec::new() };
    let mut points: Vec<(u64, u32)> = Vec::new();
    let mut access = LoopAccess::default();
    match build(body, &mut graph, &mut points, &mut access) {
        Ok(()) => {}
        Err(Stop::TooLarge) => return Ok(Liveness::default()),
        Err(Stop::Invalid(e)) => return Err(e),
    }
    let live = graph.solve();
    let set = |node: u32, limit: usize| -> Box<[u32]> {
        let bits = &live[node as usize * words..][..words];
        (0..limit as u32).filter(|l| bits[*l as usize / 64] & (1u64 << (l % 64)) != 0).collect()
    };
    let entry = set(0, num_params);
    let at = points.into_iter().map(|(offset, node)| (offset, set(node, num_locals))).collect();
    let loops = (access.work <= MAX_ACCESS_WORK).then_some(access.done);
    Ok(Liveness { at: Some(at), entry, loops })
}

/// The locals read and written inside each loop, collected by [`build`].
#[derive(Default)]
struct LoopAccess {
    /// The open loops, outermost first.
    open: Vec<OpenLoop>,
    done: HashMap<u64, Accessed>,
    /// Entries recorded so far, nested loops counting again.
    work: usize,
}

#[derive(Default)]
struct OpenLoop {
    offset: u64,
    read: Vec<u32>,
    written: Vec<u32>,
}

/// The locals a loop reads and writes, each in increasing order.
#[derive(Debug)]
struct Accessed {
    read: Box<[u32]>,
    written: Box<[u32]>,
}

/// Work allowed for [`LoopAccess`]; past it, what loops access is not
/// known.
const MAX_ACCESS_WORK: usize = 1 << 22;

impl LoopAccess {
    fn record(&mut self, local: u32, write: bool) {
        if self.work > MAX_ACCESS_WORK {
            return;
        }
        if let Some(open) = self.open.last_mut() {
            if write { &mut open.written } else { &mut open.read }.push(local);
            self.work += 1;
        }
    }

    fn end_loop(&mut self) {
        let Some(mut done) = self.open.pop() else { return };
        if self.work > MAX_ACCESS_WORK {
            return;
        }
        for list in [&mut done.read, &mut done.written] {
            list.sort_unstable();
            list.dedup();
        }
        if let Some(outer) = self.open.last_mut() {
            self.work += done.read.len() + done.written.len();
            outer.read.extend_from_slice(&done.read);
            outer.written.extend_from_slice(&done.written);
        }
        let accessed = Accessed { read: done.read.into(), written: done.written.into() };
        self.done.insert(done.offset, accessed);
    }
}

/// Why [`build`] stopped early.
enum Stop {
    TooLarge,
    Invalid(CompileError),
}

impl From<TooLarge> for Stop {
    fn from(_: TooLarge) -> Stop {
        Stop::TooLarge
    }
}

impl From<wasmparser::BinaryReaderError> for Stop {
    fn from(e: wasmparser::BinaryReaderError) -> Stop {
        Stop::Invalid(e.into())
    }
}

/// Builds the graph (node 0 is the function's first block) and lists each
/// resume point's operator offset with the block where its frame
/// continues.
fn build(
    body: &FunctionBody<'_>,
    graph: &mut Graph,
    points: &mut Vec<(u64, u32)>,
    access: &mut LoopAccess,
) -> Result<(), Stop> {
    let (first, exit) = (graph.node()?, graph.node()?);
    let mut cur = first;
    let mut frames = vec![Frame::Block { end: exit }];
    let target = |frames: &[Frame], depth: u32| frames[frames.len() - 1 - depth as usize].target();
    // The open `try_table`s: each one's frame index and the nodes its catch
    // clauses branch to (a call or throw inside may go to any of them).
    let mut handlers: Vec<(usize, Vec<u32>)> = Vec::new();
    let catch_targets = |handlers: &[(usize, Vec<u32>)]| -> Vec<u32> {
        handlers.iter().flat_map(|(_, targets)| targets.iter().copied()).collect()
    };
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position();
        match reader.read()? {
            Operator::LocalGet { local_index } => {
                graph.read(cur, local_index);
                access.record(local_index, false);
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                graph.write(cur, local_index);
                access.record(local_index, true);
            }
            Operator::Block { .. } => frames.push(Frame::Block { end: graph.node()? }),
            Operator::TryTable { try_table } => {
                let labels: Vec<u32> =
                    try_table.catches.iter().map(|c| target(&frames, super::cost::catch_label(c))).collect();
                frames.push(Frame::Block { end: graph.node()? });
                handlers.push((frames.len() - 1, labels));
            }
            Operator::Throw { .. } | Operator::ThrowRef => {
                for node in catch_targets(&handlers) {
                    graph.edge(cur, node);
                }
                cur = graph.node()?;
            }
            Operator::Loop { .. } => {
                let header = graph.node()?;
                graph.edge(cur, header);
                cur = header;
                points.push((offset, header));
                frames.push(Frame::Loop { header });
                access.open.push(OpenLoop { offset, ..OpenLoop::default() });
            }
            Operator::If { .. } => {
                let (then_node, else_node, end) = (graph.node()?, graph.node()?, graph.node()?);
                graph.edge(cur, then_node);
                graph.edge(cur, else_node);
                cur = then_node;
                frames.push(Frame::If { end, else_node, has_else: false });
            }
            Operator::Else => {
                let Some(Frame::If { end, else_node, has_else }) = frames.last_mut() else {
                    unreachable!("validated: else inside if")
                };
                graph.edge(cur, *end);
                cur = *else_node;
                *has_else = true;
            }
            Operator::End => match frames.pop().expect("validated: end matches a frame") {
                frame if handlers.last().is_some_and(|(f, _)| *f == frames.len()) => {
                    handlers.pop();
                    let Frame::Block { end } = frame else { unreachable!("a try_table is a block") };
                    graph.edge(cur, end);
                    cur = end;
                }
                // Nothing branches to a loop's end: the block goes on.
                Frame::Loop { .. } => access.end_loop(),
                Frame::Block { end } => {
                    graph.edge(cur, end);
                    cur = end;
                }
                Frame::If { end, else_node, has_else } => {
                    if !has_else {
                        graph.edge(else_node, end);
                    }
                    graph.edge(cur, end);
                    cur = end;
                }
            },
            Operator::Br { relative_depth } => {
                graph.edge(cur, target(&frames, relative_depth));
                cur = graph.node()?;
            }
            Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth } => {
                graph.edge(cur, target(&frames, relative_depth));
                let next = graph.node()?;
                graph.edge(cur, next);
                cur = next;
            }
            Operator::BrTable { targets } => {
                for depth in targets.targets() {
                    graph.edge(cur, target(&frames, depth?));
                }
                graph.edge(cur, target(&frames, targets.default()));
                cur = graph.node()?;
            }
            Operator::Return
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => {
                graph.edge(cur, exit);
                cur = graph.node()?;
            }
            Operator::Unreachable => cur = graph.node()?,
            Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. } => {
                let next = graph.node()?;
                // Inside a `try_table`, a frame resumed after the call may
                // also go on at a catch clause's label: the point's node
                // (empty) then precedes both.
                let targets = catch_targets(&handlers);
                let point = if targets.is_empty() {
                    next
                } else {
                    let after = graph.node()?;
                    graph.edge(after, next);
                    for node in targets {
                        graph.edge(after, node);
                    }
                    after
                };
                graph.edge(cur, point);
                cur = next;
                points.push((offset, point));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans the first function of a one-function module.
    fn scan_wat(wat: &str) -> (Liveness, Vec<u64>) {
        let wasm = wat::parse_str(wat).expect("valid wat");
        let info = crate::parse(&wasm).expect("valid module");
        let range = info.bodies[0].clone();
        let reader = wasmparser::BinaryReader::new(&wasm[range.clone()], range.start as u64);
        let body = FunctionBody::new(reader);
        let ty = info.func_type(info.num_imported_functions);
        let mut num_locals = ty.params.len();
        for local in body.get_locals_reader().expect("locals") {
            num_locals += local.expect("a local").0 as usize;
        }
        // The offsets of loops and calls, in order.
        let mut offsets = Vec::new();
        let mut ops = body.get_operators_reader().expect("operators");
        while !ops.eof() {
            let offset = ops.original_position();
            if matches!(ops.read().expect("an operator"), Operator::Loop { .. } | Operator::Call { .. }) {
                offsets.push(offset);
            }
        }
        (scan(&body, ty.params.len(), num_locals).expect("scans"), offsets)
    }

    #[test]
    fn only_locals_read_before_written_are_live() {
        let (live, at) = scan_wat(
            r#"(module (func $f (param i32 i32) (local i32 i32)
                 local.get 0
                 local.set 2
                 (loop $l
                   call $f2               ;; 1, 2, 3 live after: 1 read below, 2 and 3 around the loop
                   local.get 2
                   local.get 3
                   i32.add
                   local.set 3
                   local.get 1
                   br_if $l)
                 local.get 3
                 drop)
               (func $f2))"#,
        );
        // Parameter 1 is read before written; 0 too; locals 2 and 3 are
        // zero at entry either way, so they are not listed.
        assert_eq!(live.entry(), Some(&[0, 1][..]));
        assert_eq!(live.at(at[0]), Some(&[1, 2, 3][..]));
        assert_eq!(live.at(at[1]), Some(&[1, 2, 3][..]));
    }

    #[test]
    fn a_write_on_every_path_kills() {
        let (live, at) = scan_wat(
            r#"(module (func $f (param i32) (local i64)
                 call $g
                 (if (local.get 0)
                   (then (local.set 1 (i64.const 1)))
                   (else (local.set 1 (i64.const 2))))
                 call $g
                 (block $b
                   (br_if $b (local.get 0))
                   (local.set 1 (i64.const 3)))
                 local.get 1
                 drop)
               (func $g))"#,
        );
        // After the first call, 1 is written on both arms before any read.
        assert_eq!(live.at(at[0]), Some(&[0][..]));
        // After the second, the branch past the write keeps 1 live.
        assert_eq!(live.at(at[1]), Some(&[0, 1][..]));
    }

    #[test]
    fn loops_list_the_locals_they_read_and_write_inner_loops_included() {
        let (live, at) = scan_wat(
            r#"(module (func $f (param i32) (local i32 i32 i32)
                 (loop $outer
                   (local.set 1 (local.get 0))
                   (loop $inner
                     (local.set 2 (local.get 3))
                     (br_if $inner (local.get 2)))
                   (br_if $outer (local.get 1)))))"#,
        );
        assert_eq!(live.read_in_loop(at[0]), Some(&[0, 1, 2, 3][..]));
        assert_eq!(live.written_in_loop(at[0]), Some(&[1, 2][..]));
        assert_eq!(live.read_in_loop(at[1]), Some(&[2, 3][..]));
        assert_eq!(live.written_in_loop(at[1]), Some(&[2][..]));
    }
}
