//! Control frames: the translator's model of Wasm's structured control flow.
//!
//! Every `block`, `loop` and `if` (and the function body itself) is a frame.
//! Values cross between Cranelift blocks only through the operand stack's
//! variables (see `stack.rs`): a branch to a frame moves the values it
//! carries to the stack depths where the frame expects them, then jumps.

use super::frame::LocalHome;
use crate::module_info::ValType;
use cranelift_codegen::ir::{Block, Value};

#[derive(Debug)]
pub enum FrameKind {
    /// The function body; `next` is the return block.
    Function,
    Block,
    /// `header` is where `br` goes (with the loop's parameters);
    /// `keeps_memory_cache`: whether the header keeps memory 0's base and
    /// length in registers (branches back then reload them if stale).
    Loop {
        header: Block,
        keeps_memory_cache: bool,
    },
    /// `else_block` starts the else arm (or the implicit one); `params` are
    /// the values the `if` received, which both arms start from.
    If {
        else_block: Block,
        params: Vec<Value>,
        has_else: bool,
    },
}

#[derive(Debug)]
pub struct ControlFrame {
    pub kind: FrameKind,
    /// Where control continues after `end`.
    pub next: Block,
    pub param_types: Vec<ValType>,
    pub result_types: Vec<ValType>,
    /// Operand stack height below this frame's parameters.
    pub height: usize,
    /// Whether anything jumps to `next` (a branch, or falling off the end).
    pub next_reachable: bool,
    /// Where the ways into this frame's joins keep the locals.
    pub joins: Joins,
}

/// Where the locals are at a frame's joins (see `joins.rs`).
#[derive(Debug, Default)]
pub struct Joins {
    /// Whether the homes are tracked at all (reductions on, within budget);
    /// if not, every way in has every local in its variable.
    pub tracked: bool,
    /// For a block or an if: where the ways into its end so far have each
    /// local.
    pub tally: Option<Box<[Tally]>>,
    /// For a block or an if, once every way in is known: the homes at its
    /// end.
    pub meet: Option<Box<[LocalHome]>>,
    /// For a block or an if: the branches to its end that had locals in
    /// the area only.
    pub landings: Vec<Landing>,
    /// For a loop: the homes at its header; for an if: at the `if`, where
    /// both arms start.
    pub start: Option<Box<[LocalHome]>>,
    /// For a block or an if: whether the memory cache is stale on some way
    /// into its end so far.
    pub cache_stale: bool,
    /// For an if: whether the memory cache was stale at the `if`.
    pub start_cache_stale: bool,
}

/// A branch's own block before a join, filled when the join's homes are
/// known with the loads and stores that way in needs.
#[derive(Debug)]
pub struct Landing {
    pub block: Block,
    /// The locals the branch had in the record area only.
    pub area_only: Vec<u32>,
    /// The locals the branch had in their variables only, of those with a
    /// word in the record area.
    pub variable_only: Vec<u32>,
}

/// How many ways into a join have a local where (see `joins.rs`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub area_only: u32,
    pub variable_only: u32,
    pub dead: bool,
    /// Some way in has the local in its variable while it had no word in
    /// the area yet (so that way in cannot store it there).
    pub pinned: bool,
}

impl ControlFrame {
    /// The block a `br` to this frame jumps to.
    pub fn branch_target(&self) -> Block {
        match self.kind {
            FrameKind::Loop { header, .. } => header,
            _ => self.next,
        }
    }

    /// How many values a `br` to this frame carries.
    pub fn branch_arity(&self) -> usize {
        match self.kind {
            FrameKind::Loop { .. } => self.param_types.len(),
            _ => self.result_types.len(),
        }
    }

    pub fn is_loop(&self) -> bool {
        matches!(self.kind, FrameKind::Loop { .. })
    }
}
