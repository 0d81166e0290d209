//! Memory accesses whose bounds can be checked together.
//!
//! Compilers address the fields of a struct and the elements of an
//! unrolled loop as one base and several constant offsets: `local.get $p;
//! i64.load offset=8`, `local.get $p; i64.load offset=16`, ... Each access
//! needs a bounds check, but where a stretch of code runs them one after
//! the other with nothing observable between, the first access may check
//! the largest reach of them all (offset plus size), and the later ones
//! find their check done (the translator's memo of checked addresses, see
//! `FuncEnv::heap_address`).
//!
//! Checking early is unobservable because, from the first access of a
//! group to its last:
//! - nothing branches, calls, suspends or charges fuel, so every access of
//!   the group runs once the first has;
//! - nothing has an effect (no store but as the group's last access, no
//!   global, table or memory change), so trapping at the first access
//!   loses nothing a later trap would have left done;
//! - nothing traps but with the same trap, "out of bounds memory access"
//!   (other loads); a division or a float-to-int truncation could trap
//!   otherwise, so they end the stretch;
//! - the base is the same value: a `local.get` (or `local.tee`) of a local
//!   that is not set in between.
//!
//! The scan follows which local each operand-stack slot is a copy of, for
//! the operators it understands; any other operator ends every group.

use super::operators::memory_index;
use crate::error::CompileError;
use std::collections::HashMap;
use wasmparser::{FunctionBody, MemArg, Operator};

/// The result of [`scan`]: the reach to check at the first access of each
/// group, by the byte offset of its operator.
#[derive(Debug, Default)]
pub struct AccessGroups {
    reach: HashMap<u64, u64>,
}

impl AccessGroups {
    /// The reach (offset + size, from the address operand) that the access
    /// at byte `offset` should check: more than its own when it is the
    /// first of a group.
    pub fn reach_at(&self, offset: u64) -> Option<u64> {
        self.reach.get(&offset).copied()
    }
}

/// A group being gathered: where its first access is, and the largest
/// reach of its accesses so far.
#[derive(Debug, Clone, Copy)]
struct Group {
    first: u64,
    /// The first access's own reach.
    own: u64,
    reach: u64,
}

/// What an operator does, as far as the scan is concerned.
enum Kind {
    /// Pops `pops` operands and pushes `pushes` values of no local's.
    Pure {
        pops: usize,
        pushes: usize,
    },
    LocalGet(u32),
    LocalSet(u32),
    LocalTee(u32),
    /// A load of `size` bytes: pops the address, pushes the value.
    Load(MemArg, u32),
    /// A store of `size` bytes: pops the value, then the address.
    Store(MemArg, u32),
    /// Anything else: ends every group.
    Other,
}

/// The state of the scan.
#[derive(Default)]
struct Scan {
    /// For the operand stack since the stretch began: which local each
    /// slot is a copy of. Slots pushed before it are not here and count
    /// as copies of none.
    stack: Vec<Option<u32>>,
    /// Open groups by base local and memory.
    open: HashMap<(u32, u32), Group>,
    found: AccessGroups,
}

impl Scan {
    fn pop(&mut self) -> Option<u32> {
        self.stack.pop().flatten()
    }

    fn pop_n(&mut self, n: usize) {
        for _ in 0..n {
            self.stack.pop();
        }
    }

    /// Closes the groups of base `local`, and forgets which slots copied it.
    fn local_changes(&mut self, local: u32) {
        let closing: Vec<(u32, u32)> = self.open.keys().filter(|(l, _)| *l == local).copied().collect();
        for key in closing {
            if let Some(group) = self.open.remove(&key) {
                self.close(group);
            }
        }
        for slot in &mut self.stack {
            if *slot == Some(local) {
                *slot = None;
            }
        }
    }

    /// Ends the stretch: every group closes, and the stack is unknown.
    fn end_stretch(&mut self) {
        for (_, group) in std::mem::take(&mut self.open) {
            self.close(group);
        }
        self.stack.clear();
    }

    /// Records a group whose first access has more to check than its own
    /// reach (a group of one, or whose first reaches farthest, has not).
    fn close(&mut self, group: Group) {
        if group.reach > group.own {
            self.found.reach.insert(group.first, group.reach);
        }
    }

    /// An access at `offset` with address `base` (a copy of that local, or
    /// of none) and `memarg`, `size` bytes.
    fn access(&mut self, offset: u64, base: Option<u32>, memarg: &MemArg, size: u32) {
        let (Some(local), Some(reach)) = (base, memarg.offset.checked_add(u64::from(size))) else {
            return;
        };
        let group =
            self.open.entry((local, memory_index(memarg))).or_insert(Group { first: offset, own: reach, reach });
        group.reach = group.reach.max(reach);
    }
}

/// Scans a validated function body.
pub fn scan(body: &FunctionBody<'_>) -> Result<AccessGroups, CompileError> {
    let mut scan = Scan::default();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader.read()?;
        match kind(&op) {
            Kind::Pure { pops, pushes } => {
                scan.pop_n(pops);
                scan.stack.extend(std::iter::repeat_n(None, pushes));
            }
            Kind::LocalGet(local) => scan.stack.push(Some(local)),
            Kind::LocalSet(local) => {
                scan.stack.pop();
                scan.local_changes(local);
            }
            Kind::LocalTee(local) => {
                scan.stack.pop();
                scan.local_changes(local);
                scan.stack.push(Some(local));
            }
            Kind::Load(memarg, size) => {
                let base = scan.pop();
                scan.access(offset, base, &memarg, size);
                scan.stack.push(None);
            }
            Kind::Store(memarg, size) => {
                scan.stack.pop();
                let base = scan.pop();
                scan.access(offset, base, &memarg, size);
                // The store is the last access of every open group.
                scan.end_stretch();
            }
            Kind::Other => scan.end_stretch(),
        }
    }
    scan.end_stretch();
    Ok(scan.found)
}

/// How the scan sees `op`.
fn kind(op: &Operator<'_>) -> Kind {
    use Operator::*;
    let pure = |pops, pushes| Kind::Pure { pops, pushes };
    match *op {
        LocalGet { local_index } => Kind::LocalGet(local_index),
        LocalSet { local_index } => Kind::LocalSet(local_index),
        LocalTee { local_index } => Kind::LocalTee(local_index),
        Nop => pure(0, 0),
        Drop => pure(1, 0),
        Select | TypedSelect { .. } => pure(3, 1),
        I32Const { .. } | I64Const { .. } | F32Const { .. } | F64Const { .. } | GlobalGet { .. } => pure(0, 1),
        I32Load { memarg } | F32Load { memarg } | I64Load32S { memarg } | I64Load32U { memarg } => {
            Kind::Load(memarg, 4)
        }
        I64Load { memarg } | F64Load { memarg } => Kind::Load(memarg, 8),
        I32Load8S { memarg } | I32Load8U { memarg } | I64Load8S { memarg } | I64Load8U { memarg } => {
            Kind::Load(memarg, 1)
        }
        I32Load16S { memarg } | I32Load16U { memarg } | I64Load16S { memarg } | I64Load16U { memarg } => {
            Kind::Load(memarg, 2)
        }
        V128Load { memarg } => Kind::Load(memarg, 16),
        I32Store { memarg } | F32Store { memarg } | I64Store32 { memarg } => Kind::Store(memarg, 4),
        I64Store { memarg } | F64Store { memarg } => Kind::Store(memarg, 8),
        I32Store8 { memarg } | I64Store8 { memarg } => Kind::Store(memarg, 1),
        I32Store16 { memarg } | I64Store16 { memarg } => Kind::Store(memarg, 2),
        V128Store { memarg } => Kind::Store(memarg, 16),
        // Operators that cannot trap, with one operand.
        I32Eqz | I64Eqz | I32Clz | I32Ctz | I32Popcnt | I64Clz | I64Ctz | I64Popcnt | F32Abs | F32Neg | F32Ceil
        | F32Floor | F32Trunc | F32Nearest | F32Sqrt | F64Abs | F64Neg | F64Ceil | F64Floor | F64Trunc | F64Nearest
        | F64Sqrt | I32WrapI64 | I64ExtendI32S | I64ExtendI32U | F32ConvertI32S | F32ConvertI32U | F32ConvertI64S
        | F32ConvertI64U | F32DemoteF64 | F64ConvertI32S | F64ConvertI32U | F64ConvertI64S | F64ConvertI64U
        | F64PromoteF32 | I32ReinterpretF32 | I64ReinterpretF64 | F32ReinterpretI32 | F64ReinterpretI64
        | I32Extend8S | I32Extend16S | I64Extend8S | I64Extend16S | I64Extend32S | I32TruncSatF32S
        | I32TruncSatF32U | I32TruncSatF64S | I32TruncSatF64U | I64TruncSatF32S | I64TruncSatF32U | I64TruncSatF64S
        | I64TruncSatF64U => pure(1, 1),
        // Operators that cannot trap, with two operands.
        I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU | I64Eq | I64Ne
        | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU | F32Eq | F32Ne | F32Lt | F32Gt
        | F32Le | F32Ge | F64Eq | F64Ne | F64Lt | F64Gt | F64Le | F64Ge | I32Add | I32Sub | I32Mul | I32And | I32Or
        | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr | I64Add | I64Sub | I64Mul | I64And | I64Or
        | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr | F32Add | F32Sub | F32Mul | F32Div | F32Min
        | F32Max | F32Copysign | F64Add | F64Sub | F64Mul | F64Div | F64Min | F64Max | F64Copysign => pure(2, 1),
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first function of `wat`: its groups, and the offsets of its
    /// loads and stores in order.
    fn scan_wat(wat: &str) -> (AccessGroups, Vec<u64>) {
        super::super::scan_first_body(wat, scan, |op| matches!(kind(op), Kind::Load(..) | Kind::Store(..)))
    }

    /// The reach each access checks (`None`: only its own).
    fn reaches(wat: &str) -> Vec<Option<u64>> {
        let (groups, accesses) = scan_wat(wat);
        accesses.iter().map(|&a| groups.reach_at(a)).collect()
    }

    #[test]
    fn fields_of_one_base_are_checked_at_the_first() {
        let found = reaches(
            r#"(module (memory 1) (func (param i32) (result f64)
                (f64.add (f64.load offset=8 (local.get 0))
                  (f64.mul (f64.load offset=24 (local.get 0)) (f64.load offset=16 (local.get 0))))))"#,
        );
        assert_eq!(found, [Some(32), None, None]);
        // The first reaching farthest checks only its own.
        assert_eq!(
            reaches(
                r#"(module (memory 1) (func (param i32) (result i32)
                (i32.add (i32.load offset=8 (local.get 0)) (i32.load (local.get 0)))))"#
            ),
            [None, None]
        );
    }

    #[test]
    fn a_store_may_end_a_group_but_not_begin_one() {
        let found = reaches(
            r#"(module (memory 1) (func (param i32)
                (i32.store offset=12 (local.get 0) (i32.add (i32.load (local.get 0)) (i32.load offset=4 (local.get 0))))
                (i32.store offset=20 (local.get 0) (i32.const 1))
                (drop (i32.load offset=24 (local.get 0)))))"#,
        );
        // The loads and the first store are one group; the second store
        // has an effect before the last load.
        assert_eq!(found, [Some(16), None, None, None, None]);
    }

    #[test]
    fn bases_are_told_apart_by_local_memory_and_value() {
        // Another local, another memory: other groups.
        let found = reaches(
            r#"(module (memory 1) (memory $m 1) (func (param i32 i32) (result i32)
                (i32.add (i32.add (i32.load (local.get 0)) (i32.load offset=8 (local.get 1)))
                  (i32.add (i32.load $m offset=16 (local.get 0)) (i32.load offset=4 (local.get 0))))))"#,
        );
        assert_eq!(found, [Some(8), None, None, None]);
        // A set between: the second load has another base value.
        let found = reaches(
            r#"(module (memory 1) (func (param i32) (result i32)
                (i32.load (local.get 0))
                (local.set 0 (i32.const 64))
                (i32.add (i32.load offset=8 (local.get 0)))))"#,
        );
        assert_eq!(found, [None, None]);
        // A copy taken before the set is not the local's new value.
        let found = reaches(
            r#"(module (memory 1) (func (param i32) (result i32)
                (local.get 0)
                (local.set 0 (i32.const 64))
                (i32.load offset=4)
                (i32.add (i32.load offset=8 (local.get 0)))))"#,
        );
        assert_eq!(found, [None, None]);
        // `local.tee` gives the local's value.
        let found = reaches(
            r#"(module (memory 1) (func (param i32) (result i32)
                (i32.add (i32.load (local.tee 0 (i32.const 8))) (i32.load offset=12 (local.get 0)))))"#,
        );
        assert_eq!(found, [Some(16), None]);
    }

    #[test]
    fn what_could_trap_otherwise_or_branch_ends_a_group() {
        for between in [
            "(drop (i32.div_u (local.get 1) (local.get 1)))",
            "(drop (i32.trunc_f32_s (f32.const 1)))",
            "(call 0 (local.get 0) (local.get 1))",
            "(if (local.get 1) (then))",
            "(global.set 0 (i32.const 1))",
            "(drop (memory.grow (i32.const 0)))",
            "(loop)",
        ] {
            let wat = format!(
                r#"(module (memory 1) (global (mut i32) (i32.const 0)) (func (param i32 i32)
                    (drop (i32.load (local.get 0))) {between} (drop (i32.load offset=8 (local.get 0)))))"#
            );
            assert_eq!(reaches(&wat), [None, None], "{between}");
        }
        // Pure arithmetic does not.
        let wat = r#"(module (memory 1) (func (param i32 i32)
            (drop (i32.load (local.get 0))) (drop (i32.mul (local.get 1) (i32.const 3)))
            (drop (i32.load offset=8 (local.get 0)))))"#;
        assert_eq!(reaches(wat), [Some(12), None]);
    }
}
