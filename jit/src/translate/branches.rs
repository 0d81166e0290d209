//! Branches and frame ends: what the operator match does for `br`,
//! `br_if`, `br_table`, `else` and `end`, moving the carried values into
//! place (see `control.rs` for the frames, `joins.rs` for the locals).

use super::control::{ControlFrame, FrameKind, Joins};
use super::Translation;
use crate::error::CompileError;
use crate::module_info::ValType;
use cranelift_codegen::ir::{self, InstBuilder, JumpTableData, Value};
use wasmparser::BlockType;

impl Translation<'_, '_> {
    pub(super) fn block_type(&self, blockty: BlockType) -> Result<(Vec<ValType>, Vec<ValType>), CompileError> {
        Ok(match blockty {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(t) => (Vec::new(), vec![crate::parse::val_type(t)?]),
            BlockType::FuncType(index) => {
                let ty = self.env.func_type(index);
                (ty.params.to_vec(), ty.results.to_vec())
            }
        })
    }

    pub(super) fn push_frame(
        &mut self,
        kind: FrameKind,
        next: ir::Block,
        param_types: Vec<ValType>,
        result_types: Vec<ValType>,
        joins: Joins,
    ) {
        let height = self.stack.len() - param_types.len();
        let frame = ControlFrame { kind, next, param_types, result_types, height, next_reachable: false, joins };
        self.control.push(frame);
        self.env.checked_bounds().open_frame();
    }

    pub(super) fn frame_mut(&mut self, relative_depth: u32) -> &mut ControlFrame {
        let index = self.control.len() - 1 - relative_depth as usize;
        &mut self.control[index]
    }

    /// `br relative_depth`: moves the carried values into place and jumps.
    pub(super) fn branch(&mut self, relative_depth: u32) {
        let edge = self.branch_edge(relative_depth);
        self.stack.move_top_to(&mut self.b, edge.arity, edge.height);
        self.b.ins().jump(edge.target, &[]);
    }

    /// Where a conditional branch to `relative_depth` should go: straight
    /// to the frame's target when the carried values are already in place,
    /// otherwise to a new edge block that moves them first (moving them
    /// before the branch would clobber slots the other path still uses).
    pub(super) fn branch_edge(&mut self, relative_depth: u32) -> Edge {
        let landing = self.join_edge(self.control.len() - 1 - relative_depth as usize);
        let frame = self.frame_mut(relative_depth);
        frame.next_reachable |= !frame.is_loop();
        let (target, arity, height) = (frame.branch_target(), frame.branch_arity(), frame.height);
        let target = landing.unwrap_or(target);
        let needs_edge = self.stack.needs_move(arity, height);
        let block = if needs_edge { self.b.create_block() } else { target };
        Edge { block, target, arity, height }
    }

    /// Emits the moves of an edge block (if it is one). Called after the
    /// branch terminated the current block; the caller switches on.
    pub(super) fn fill_edge(&mut self, edge: Edge) {
        if edge.block == edge.target {
            return;
        }
        self.b.seal_block(edge.block);
        self.b.switch_to_block(edge.block);
        self.stack.move_top_to(&mut self.b, edge.arity, edge.height);
        self.b.ins().jump(edge.target, &[]);
    }

    /// `br_table`: a jump table over the targets' blocks (edge blocks where
    /// values must move first), one per distinct depth.
    pub(super) fn branch_table(&mut self, index: Value, depths: &[u32], default: u32) {
        // Back edges first: what they load or store is then in both places
        // for the ways into blocks' ends too.
        for depth in depths.iter().chain([&default]) {
            if self.frame_mut(*depth).is_loop() {
                self.join_edge(self.control.len() - 1 - *depth as usize);
            }
        }
        let mut edges: Vec<(u32, Edge)> = Vec::new();
        let mut block_of = |this: &mut Self, depth: u32| -> ir::Block {
            if let Some((_, edge)) = edges.iter().find(|(d, _)| *d == depth) {
                return edge.block;
            }
            let edge = this.branch_edge(depth);
            let block = edge.block;
            edges.push((depth, edge));
            block
        };
        let default_block = block_of(self, default);
        let blocks: Vec<ir::Block> = depths.iter().map(|d| block_of(self, *d)).collect();
        let default_call = self.b.func.dfg.block_call(default_block, &[]);
        let calls: Vec<_> = blocks.iter().map(|block| self.b.func.dfg.block_call(*block, &[])).collect();
        let table = self.b.create_jump_table(JumpTableData::new(default_call, &calls));
        self.b.ins().br_table(index, table);
        for (_, edge) in edges {
            self.fill_edge(edge);
        }
    }

    pub(super) fn else_arm(&mut self) {
        let reachable = self.reachable;
        let index = self.control.len() - 1;
        let frame = self.control.last_mut().expect("validated: else inside if");
        let FrameKind::If { else_block, params, has_else } = &mut frame.kind else {
            unreachable!("validated: else inside if")
        };
        *has_else = true;
        let (else_block, params) = (*else_block, params.clone());
        let (next, height, results) = (frame.next, frame.height, frame.result_types.len());
        let param_types = frame.param_types.clone();
        let start = frame.joins.start.clone();
        let start_cache_stale = frame.joins.start_cache_stale;
        if reachable {
            frame.next_reachable = true;
            self.stack.move_top_to(&mut self.b, results, height);
            let landing = self.join_edge(index);
            self.b.ins().jump(landing.unwrap_or(next), &[]);
        }
        self.env.set_memory_cache_stale(start_cache_stale);
        self.stack.truncate(height);
        self.b.switch_to_block(else_block);
        for (value, ty) in params.into_iter().zip(param_types) {
            self.stack.push(&mut self.b, value, ty);
        }
        self.env.checked_bounds().restart_frame();
        self.start_else_arm(start.as_deref());
        self.reachable = true;
        self.dead_depth = 0;
    }

    pub(super) fn end_frame(&mut self) {
        let index = self.control.len() - 1;
        let frame = &self.control[index];
        let returns = matches!(frame.kind, FrameKind::Function);
        // A block's or an if's end is a join (a loop's end has only its
        // fall-through; the function's is the return).
        let joins = !returns && !frame.is_loop();
        let implicit_else = matches!(frame.kind, FrameKind::If { has_else: false, .. });
        if joins {
            let start = frame.joins.start.clone().filter(|_| implicit_else);
            self.final_meet(index, self.reachable, start.as_deref());
            let frame = &mut self.control[index];
            frame.joins.cache_stale |=
                (self.reachable && self.env.memory_cache_stale()) || (implicit_else && frame.joins.start_cache_stale);
        }
        let mut frame = self.control.pop().expect("validated: end matches a frame");
        if !returns {
            self.env.checked_bounds().close_frame();
        }
        if frame.is_loop() {
            self.leave_loop();
        }
        let meet = frame.joins.meet.take();
        if self.reachable {
            frame.next_reachable = true;
            self.stack.move_top_to(&mut self.b, frame.result_types.len(), frame.height);
            if joins {
                let homes = self.homes.clone();
                self.conform_inline(&homes, meet.as_deref());
            }
            self.b.ins().jump(frame.next, &[]);
        }
        if let FrameKind::If { else_block, params, has_else: false } = &frame.kind {
            // No else arm: the implicit one passes the parameters through.
            self.b.switch_to_block(*else_block);
            for (i, (value, ty)) in params.iter().zip(&frame.param_types).enumerate() {
                self.stack.set(&mut self.b, frame.height + i, *ty, *value);
            }
            if let Some(start) = &frame.joins.start {
                self.conform_inline(start, meet.as_deref());
            }
            self.b.ins().jump(frame.next, &[]);
            frame.next_reachable = true;
        }
        if joins {
            let landings = std::mem::take(&mut frame.joins.landings);
            self.finish_join(landings, meet.as_deref(), frame.next);
            self.env.set_memory_cache_stale(frame.joins.cache_stale);
        }
        self.close_joins(&frame.joins);
        self.stack.truncate(frame.height);
        self.b.switch_to_block(frame.next);
        if !returns {
            // The return block also takes the trap and unwind path, added last.
            self.b.seal_block(frame.next);
        }
        self.stack.push_defined(&frame.result_types);
        self.reachable = frame.next_reachable;
    }
}

/// A conditional branch's destination: `block` is `target` itself, or an
/// edge block that moves `arity` values down to `height` and jumps there.
pub(super) struct Edge {
    pub block: ir::Block,
    pub target: ir::Block,
    pub arity: usize,
    pub height: usize,
}
