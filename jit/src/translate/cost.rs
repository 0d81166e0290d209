//! The static cost of a function, for reduction counting.
//!
//! Fuel is charged in lumps where it is checked: on function entry, the
//! cost of every operator outside loops; at each loop header, the cost of
//! the operators directly inside that loop (nested loops charge their own).
//! Both arms of an `if` count, so a lump bounds the work done before the
//! next check from above. Every operator costs 1 except the purely
//! structural ones (`block`, `loop`, `end`, `else`, `nop`, `drop`).

use crate::error::CompileError;
use wasmparser::{FunctionBody, Operator};

/// What the translator needs to know about a function before translating it.
#[derive(Debug, Default, Clone)]
pub struct FunctionCost {
    /// Cost charged on entry.
    pub entry: u64,
    /// Cost charged at each loop header, by the loop's order of appearance.
    pub loops: Vec<u64>,
    pub has_calls: bool,
}

impl FunctionCost {
    /// Functions with no loop and no call finish in bounded time and never
    /// suspend: they need neither fuel checks nor resume points.
    pub fn is_leaf(&self) -> bool {
        self.loops.is_empty() && !self.has_calls
    }
}

pub fn scan(body: &FunctionBody<'_>) -> Result<FunctionCost, CompileError> {
    let mut cost = FunctionCost::default();
    // One counter per open loop (innermost last), plus the function's.
    let mut counters: Vec<(Option<usize>, u64)> = vec![(None, 0)];
    // Whether each open block is a loop, to know which `end` closes one.
    let mut is_loop: Vec<bool> = Vec::new();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let op = reader.read()?;
        match op {
            Operator::Loop { .. } => {
                cost.loops.push(0);
                counters.push((Some(cost.loops.len() - 1), 0));
                is_loop.push(true);
                continue;
            }
            Operator::Block { .. } => {
                is_loop.push(false);
                continue;
            }
            Operator::If { .. } => is_loop.push(false),
            Operator::End => {
                if is_loop.pop() == Some(true) {
                    if let Some((Some(index), total)) = counters.pop() {
                        cost.loops[index] = total;
                    }
                }
                continue;
            }
            Operator::Else | Operator::Nop | Operator::Drop => continue,
            Operator::Call { .. } | Operator::CallIndirect { .. } => cost.has_calls = true,
            _ => {}
        }
        if let Some(counter) = counters.last_mut() {
            counter.1 += 1;
        }
    }
    cost.entry = counters.first().map_or(0, |c| c.1);
    Ok(cost)
}
