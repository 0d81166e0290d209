//! Exception handling: `throw`, `throw_ref` and `try_table`.
//!
//! An exception propagates by return, like a trap (see `crate::vm`): the
//! thrower stores it in `exec.exception`, sets the state to
//! [`STATE_THROWING`] and returns; every caller finds the state non-running
//! after the call, where it checks the state anyway, and returns in turn.
//! So code in a `try_table` runs exactly as code outside one, and a throw
//! never touches the native stack's unwind tables.
//!
//! A call inside a `try_table` differs only on its cold path: there, if the
//! state is throwing, it tests the exception's tag against the catch
//! clauses of the enclosing `try_table`s, innermost first, and on a match
//! sets the state back to running and branches to the clause's label with
//! the payload (and the `exnref`, for the `_ref` clauses), as a `br` would.
//! A `throw` in a `try_table` tests the same clauses at once. The handler
//! code is emitted at each such site, from the translator's state after
//! the call (a site's locals and operand stack are known only there), so
//! sites that cannot throw into a handler (outside any `try_table`) carry
//! none of it.

use super::env::ExecField;
use super::frame::LocalHome;
use super::Translation;
use crate::module_info::ValType;
use crate::vm::{Builtin, TrapCode, STATE_RUNNING, STATE_THROWING};
use cranelift_codegen::ir::{condcodes::IntCC, types, InstBuilder, Value};
use wasmparser::{Catch, TryTable};

/// The catch clauses of a `try_table` around the current position.
pub struct TryScope {
    /// The `try_table`'s control frame (index in `Translation::control`);
    /// clause labels count outwards from the frame around it.
    frame: usize,
    catches: Vec<Catch>,
}

/// The translator state a handler's code changes and the code after the
/// site it was emitted at must find as it was.
struct Snapshot {
    homes: Vec<LocalHome>,
    stack: Vec<ValType>,
    cache_stale: bool,
}

impl Translation<'_, '_> {
    /// `try_table`: a block whose catch clauses apply until its `end`.
    pub(super) fn enter_try_table(&mut self, try_table: TryTable) {
        let frame = self.control.len() - 1;
        self.handlers.push(TryScope { frame, catches: try_table.catches });
    }

    /// Before the `end` of the innermost frame: drops its clauses if it is
    /// a `try_table`.
    pub(super) fn leave_try_table(&mut self) {
        let innermost = self.control.len() - 1;
        if self.handlers.last().is_some_and(|scope| scope.frame == innermost) {
            self.handlers.pop();
        }
    }

    /// Whether a throw here may be caught in this function.
    pub(super) fn has_handlers(&self) -> bool {
        !self.handlers.is_empty()
    }

    /// `throw tag`: allocates the exception, fills in its payload from the
    /// operand stack and throws it.
    pub(super) fn throw(&mut self, tag: u32) {
        let params = self.env.info.tag_params(tag).to_vec();
        let payload = self.popn(params.len());
        let tag_ptr = self.env.tag(&mut self.b, tag);
        let (offsets, words) = crate::abi::word_offsets(&params);
        let slots = self.b.ins().iconst(types::I32, words as i64);
        let exn = self
            .env
            .call_builtin_unchecked(&mut self.b, Builtin::NewException, &[tag_ptr, slots])
            .expect("new_exception returns the exception");
        // Null: the builtin trapped (too many live exceptions).
        let allocated = self.b.create_block();
        self.b.ins().brif(exn, allocated, &[], self.env.propagate_block, &[]);
        self.b.seal_block(allocated);
        self.b.switch_to_block(allocated);
        for (value, offset) in payload.into_iter().zip(offsets) {
            self.env.set_exception_slot(&mut self.b, exn, offset as usize / 8, value);
        }
        self.raise(exn);
    }

    /// `throw_ref`: throws the exception on the stack again, or traps if it
    /// is null.
    pub(super) fn throw_ref(&mut self) {
        let exn = self.pop();
        let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, exn, 0);
        self.env.trap_if(&mut self.b, is_null, TrapCode::NullExceptionReference);
        self.raise(exn);
    }

    /// Throws `exn` (non-null): sets the state, then goes to the handlers
    /// in this function, or returns.
    fn raise(&mut self, exn: Value) {
        self.sync_fuel_out();
        self.env.exec_store(&mut self.b, ExecField::Exception, exn);
        let throwing = self.b.ins().iconst(types::I32, i64::from(STATE_THROWING));
        self.env.exec_store(&mut self.b, ExecField::State, throwing);
        if self.has_handlers() {
            let snapshot = self.snapshot();
            self.dispatch(exn);
            self.restore(snapshot);
        } else {
            self.b.ins().jump(self.env.propagate_block, &[]);
        }
        self.reachable = false;
    }

    /// On the cold path after a call inside a `try_table`, with the state
    /// non-running (`state`): if an exception is propagating, catches it
    /// here when a clause matches; what goes on in the current block is
    /// the state's other cases (and exceptions no clause matches continue
    /// there too: the caller's path returns). After a call that is a
    /// resume `point`, the frame's values are in its record area (see
    /// `suspend.rs`), as on the call's normal path.
    pub(super) fn catch_after_call(&mut self, state: Value, point: Option<u32>) {
        let is_throwing = self.b.ins().icmp_imm_s(IntCC::Equal, state, i64::from(STATE_THROWING));
        let catching = self.cold_block();
        let other = self.cold_block();
        self.b.ins().brif(is_throwing, catching, &[], other, &[]);
        self.b.seal_block(catching);
        self.b.seal_block(other);
        self.b.switch_to_block(catching);
        let snapshot = self.snapshot();
        self.env.invalidate_memory_cache();
        self.sync_fuel_in();
        if let Some(point) = point {
            self.load_frame(point);
        }
        let exn = self.env.exec_load(&mut self.b, ExecField::Exception);
        self.dispatch(exn);
        self.restore(snapshot);
        self.b.switch_to_block(other);
    }

    /// Tests the thrown `exn`'s tag against the clauses in scope,
    /// innermost `try_table` first, and branches to the first that
    /// matches; without a match, returns (the exception propagates). Ends
    /// the current block.
    fn dispatch(&mut self, exn: Value) {
        let tag = self.env.exception_tag(&mut self.b, exn);
        let scopes: Vec<(usize, Vec<Catch>)> =
            self.handlers.iter().rev().map(|s| (s.frame, s.catches.clone())).collect();
        for (frame, catches) in scopes {
            for catch in catches {
                let (tag_index, label, with_ref) = match catch {
                    Catch::One { tag, label } => (Some(tag), label, false),
                    Catch::OneRef { tag, label } => (Some(tag), label, true),
                    Catch::All { label } => (None, label, false),
                    Catch::AllRef { label } => (None, label, true),
                };
                let caught = self.cold_block();
                let next = match tag_index {
                    Some(index) => {
                        let expected = self.env.tag(&mut self.b, index);
                        let matches = self.b.ins().icmp(IntCC::Equal, tag, expected);
                        let next = self.cold_block();
                        self.b.ins().brif(matches, caught, &[], next, &[]);
                        Some(next)
                    }
                    None => {
                        self.b.ins().jump(caught, &[]);
                        None
                    }
                };
                self.b.seal_block(caught);
                self.b.switch_to_block(caught);
                self.catch(exn, frame, tag_index, label, with_ref);
                match next {
                    Some(next) => {
                        self.b.seal_block(next);
                        self.b.switch_to_block(next);
                    }
                    // A catch-all: no clause after it is ever reached.
                    None => return,
                }
            }
        }
        self.b.ins().jump(self.env.propagate_block, &[]);
    }

    /// A matching clause of the `try_table` at control frame `frame`: the
    /// exception is handled; the operand stack is cut to the `try_table`'s
    /// height, the payload (and `exn`) pushed, and the branch taken.
    fn catch(&mut self, exn: Value, frame: usize, tag: Option<u32>, label: u32, with_ref: bool) {
        let running = self.b.ins().iconst(types::I32, i64::from(STATE_RUNNING));
        self.env.exec_store(&mut self.b, ExecField::State, running);
        let stack = self.stack.types().to_vec();
        self.stack.truncate(self.control[frame].height);
        if let Some(tag) = tag {
            let params = self.env.info.tag_params(tag).to_vec();
            let (offsets, _) = crate::abi::word_offsets(&params);
            for (ty, offset) in params.into_iter().zip(offsets) {
                let value = self.env.exception_slot(&mut self.b, exn, offset as usize / 8, ty);
                self.push_typed(value, ty);
            }
        }
        if with_ref {
            self.push_typed(exn, ValType::ExnRef);
        }
        let target = frame - 1 - label as usize;
        let relative_depth = (self.control.len() - 1 - target) as u32;
        self.branch(relative_depth);
        self.stack.truncate(0);
        self.stack.push_defined(&stack);
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            homes: self.homes.clone(),
            stack: self.stack.types().to_vec(),
            cache_stale: self.env.memory_cache_stale(),
        }
    }

    fn restore(&mut self, snapshot: Snapshot) {
        self.homes = snapshot.homes;
        self.stack.truncate(0);
        self.stack.push_defined(&snapshot.stack);
        self.env.set_memory_cache_stale(snapshot.cache_stale);
    }
}
