//! Where memory 0's base and length are worth keeping in registers.
//!
//! The translator caches them in variables (see `FuncEnv::memory_bounds`),
//! and a loop's header keeps them: they are reloaded before the loop and
//! before every branch back to its header if a call may have moved the
//! memory. A function or a loop that never addresses memory 0 would only
//! pay for those loads, so this scan finds the ones that do: a load or a
//! store (scalar or vector) in memory 0, or `memory.size` of it. Whatever
//! it misses only costs speed: an access where the cache is not kept
//! loads base and length itself.

use super::operators::memory_index;
use crate::error::CompileError;
use std::collections::HashSet;
use wasmparser::{FunctionBody, Operator};

/// The result of [`scan`].
#[derive(Debug, Default)]
pub struct MemoryUse {
    /// Whether the function addresses memory 0 anywhere.
    function: bool,
    /// The loops that do (nested loops included), by the offset of their
    /// `loop` operator.
    loops: HashSet<u64>,
}

impl MemoryUse {
    /// Whether the function addresses memory 0 anywhere.
    pub fn in_function(&self) -> bool {
        self.function
    }

    /// Whether the loop whose `loop` operator is at byte `offset` does.
    pub fn in_loop(&self, offset: u64) -> bool {
        self.loops.contains(&offset)
    }
}

/// Scans a validated function body.
pub fn scan(body: &FunctionBody<'_>) -> Result<MemoryUse, CompileError> {
    let mut found = MemoryUse::default();
    // One entry per open control frame (the function's first): the offset
    // of a loop's operator and whether its body addressed memory 0 so far.
    let mut frames: Vec<Option<(u64, bool)>> = vec![None];
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader.read()?;
        match op {
            Operator::Loop { .. } => frames.push(Some((offset, false))),
            Operator::Block { .. } | Operator::If { .. } | Operator::TryTable { .. } => frames.push(None),
            Operator::End => {
                if let Some(Some((loop_offset, true))) = frames.pop() {
                    found.loops.insert(loop_offset);
                    // The enclosing loop contains this one.
                    if let Some((_, used)) = frames.iter_mut().rev().find_map(Option::as_mut) {
                        *used = true;
                    }
                }
            }
            op if addresses_memory0(&op) => {
                found.function = true;
                if let Some((_, used)) = frames.iter_mut().rev().find_map(Option::as_mut) {
                    *used = true;
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// Whether `op` reads memory 0's base or length in compiled code.
fn addresses_memory0(op: &Operator<'_>) -> bool {
    use Operator::*;
    let memarg = match op {
        I32Load { memarg }
        | I64Load { memarg }
        | F32Load { memarg }
        | F64Load { memarg }
        | I32Load8S { memarg }
        | I32Load8U { memarg }
        | I32Load16S { memarg }
        | I32Load16U { memarg }
        | I64Load8S { memarg }
        | I64Load8U { memarg }
        | I64Load16S { memarg }
        | I64Load16U { memarg }
        | I64Load32S { memarg }
        | I64Load32U { memarg }
        | I32Store { memarg }
        | I64Store { memarg }
        | F32Store { memarg }
        | F64Store { memarg }
        | I32Store8 { memarg }
        | I32Store16 { memarg }
        | I64Store8 { memarg }
        | I64Store16 { memarg }
        | I64Store32 { memarg }
        | V128Load { memarg }
        | V128Load8x8S { memarg }
        | V128Load8x8U { memarg }
        | V128Load16x4S { memarg }
        | V128Load16x4U { memarg }
        | V128Load32x2S { memarg }
        | V128Load32x2U { memarg }
        | V128Load8Splat { memarg }
        | V128Load16Splat { memarg }
        | V128Load32Splat { memarg }
        | V128Load64Splat { memarg }
        | V128Load32Zero { memarg }
        | V128Load64Zero { memarg }
        | V128Store { memarg }
        | V128Load8Lane { memarg, .. }
        | V128Load16Lane { memarg, .. }
        | V128Load32Lane { memarg, .. }
        | V128Load64Lane { memarg, .. }
        | V128Store8Lane { memarg, .. }
        | V128Store16Lane { memarg, .. }
        | V128Store32Lane { memarg, .. }
        | V128Store64Lane { memarg, .. } => memarg,
        MemorySize { mem } => return *mem == 0,
        _ => return false,
    };
    memory_index(memarg) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{Parser, Payload};

    /// The scan of the first function of `wat`, and its loops' offsets in order.
    fn scan_wat(wat: &str) -> (MemoryUse, Vec<u64>) {
        let wasm = wat::parse_str(wat).expect("valid wat");
        for payload in Parser::new(0).parse_all(&wasm) {
            if let Payload::CodeSectionEntry(body) = payload.expect("valid module") {
                let mut loops = Vec::new();
                let mut reader = body.get_operators_reader().expect("operators");
                while !reader.eof() {
                    let offset = reader.original_position();
                    if matches!(reader.read().expect("operator"), Operator::Loop { .. }) {
                        loops.push(offset);
                    }
                }
                return (scan(&body).expect("scans"), loops);
            }
        }
        panic!("no function");
    }

    #[test]
    fn loops_that_address_memory_zero_and_their_outer_loops() {
        let (found, loops) = scan_wat(
            r#"(module (memory 1) (memory $m 1)
                (func (param i32)
                  (loop $a (br_if $a (local.get 0)))
                  (loop $b (block (loop $c (drop (i32.load (local.get 0))))))
                  (loop $d (drop (i32.load $m (local.get 0))) (drop (memory.size $m)))
                  (loop $e (if (local.get 0) (then (loop $f (drop (memory.size))))))))"#,
        );
        assert!(found.in_function());
        let used: Vec<bool> = loops.iter().map(|&l| found.in_loop(l)).collect();
        // a: no access; b: through c; c; d: only memory 1; e: through f; f.
        assert_eq!(used, [false, true, true, false, true, true]);
    }

    #[test]
    fn functions_without_memory_zero_access() {
        let (found, loops) = scan_wat(
            r#"(module (memory 1) (func (param i32) (loop $l (br_if $l (local.get 0))) (memory.grow (i32.const 1)) drop))"#,
        );
        assert!(!found.in_function());
        assert!(!found.in_loop(loops[0]));
        let (simd, _) =
            scan_wat(r#"(module (memory 1) (func (param i32) (v128.store (local.get 0) (v128.const i64x2 0 0))))"#);
        assert!(simd.in_function());
    }
}
