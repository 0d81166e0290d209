//! The bounds checks known to hold at the point being translated, so that
//! an access whose reach a dominating check already covers goes unchecked.
//!
//! A check of address value `v` with reach `r` (offset + size) in memory `m`
//! proves `v + r <= length(m)`. A memory never shrinks, so the fact stays
//! true whatever runs after it (calls, growth, a move), for as long as `v`
//! means the same thing: everywhere the check dominates. Wasm's structure
//! gives that dominance without a CFG: a fact made at some point of a frame
//! holds in the rest of that frame, nested frames included; it is dropped
//! when an `if`'s `else` arm starts (the arm is entered without it) and
//! when the frame ends (the end is also reached by branches from before it).
//!
//! The one way into the middle of a function that the structure does not
//! show is a resumed frame's: restore code jumps to a resume point's target
//! or to a loop's entry from the function's entry. There every fact is
//! forgotten ([`CheckedBounds::forget_all`]), for the frames open there too.

use cranelift_codegen::ir::Value;
use std::collections::HashMap;

#[derive(Default)]
pub(super) struct CheckedBounds {
    /// For an address value and a memory, the largest reach checked.
    reach: HashMap<(Value, u32), u64>,
    /// What `reach` held for a key before each change, oldest first: undone
    /// back to a frame's mark when the frame's facts go.
    undo: Vec<((Value, u32), Option<u64>)>,
    /// For each open frame, the length of `undo` when it opened.
    marks: Vec<usize>,
}

impl CheckedBounds {
    /// Whether `addr + reach` is known to lie within `memory`.
    pub fn covers(&self, addr: Value, memory: u32, reach: u64) -> bool {
        self.reach.get(&(addr, memory)).is_some_and(|checked| *checked >= reach)
    }

    /// Records a check of `addr + reach` in `memory`, made here.
    pub fn record(&mut self, addr: Value, memory: u32, reach: u64) {
        let before = self.reach.insert((addr, memory), reach);
        self.undo.push(((addr, memory), before));
    }

    /// A frame (block, loop, if, try_table, the function) opens here.
    pub fn open_frame(&mut self) {
        self.marks.push(self.undo.len());
    }

    /// The innermost frame's `else` arm starts: the facts its `then` arm
    /// made no longer hold.
    pub fn restart_frame(&mut self) {
        if let Some(&mark) = self.marks.last() {
            self.undo_to(mark);
        }
    }

    /// The innermost frame ends: the facts made inside it no longer hold.
    pub fn close_frame(&mut self) {
        if let Some(mark) = self.marks.pop() {
            self.undo_to(mark);
        }
    }

    /// A way in from restore code joins here: nothing is known, and
    /// closing the frames open now must not bring back what was.
    pub fn forget_all(&mut self) {
        self.reach.clear();
        self.undo.clear();
        self.marks.iter_mut().for_each(|mark| *mark = 0);
    }

    fn undo_to(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((key, before)) = self.undo.pop() else { break };
            match before {
                Some(reach) => self.reach.insert(key, reach),
                None => self.reach.remove(&key),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::entity::EntityRef;

    fn v(n: usize) -> Value {
        Value::new(n)
    }

    #[test]
    fn a_larger_check_covers_a_smaller_one_in_the_same_memory_only() {
        let mut c = CheckedBounds::default();
        c.open_frame();
        c.record(v(1), 0, 16);
        assert!(c.covers(v(1), 0, 4));
        assert!(c.covers(v(1), 0, 16));
        assert!(!c.covers(v(1), 0, 17));
        assert!(!c.covers(v(1), 1, 4));
        assert!(!c.covers(v(2), 0, 4));
    }

    #[test]
    fn an_else_arm_and_a_frame_end_drop_the_facts_made_inside() {
        let mut c = CheckedBounds::default();
        c.open_frame(); // function
        c.record(v(1), 0, 8);
        c.open_frame(); // if
        c.record(v(1), 0, 32);
        c.record(v(2), 0, 4);
        assert!(c.covers(v(1), 0, 32) && c.covers(v(2), 0, 4));
        c.restart_frame(); // else
        assert!(c.covers(v(1), 0, 8), "made before the if: holds in the else arm");
        assert!(!c.covers(v(1), 0, 32) && !c.covers(v(2), 0, 4));
        c.record(v(3), 0, 4);
        c.close_frame(); // end
        assert!(c.covers(v(1), 0, 8));
        assert!(!c.covers(v(3), 0, 4));
    }

    #[test]
    fn forgetting_is_not_undone_by_closing_frames() {
        let mut c = CheckedBounds::default();
        c.open_frame();
        c.record(v(1), 0, 8);
        c.open_frame();
        c.forget_all();
        assert!(!c.covers(v(1), 0, 8));
        c.record(v(2), 0, 8);
        c.close_frame();
        assert!(!c.covers(v(1), 0, 8), "the fact made before the way in must stay forgotten");
        assert!(!c.covers(v(2), 0, 8));
        c.close_frame();
        assert!(!c.covers(v(1), 0, 8));
    }
}
