//! The Wasm operand stack, kept in Cranelift variables.
//!
//! Each stack depth has one variable per value type; pushing defines it,
//! popping uses it. Cranelift's SSA construction then places every merge
//! itself: at block joins, at loop headers, and where a suspended frame is
//! restored in the middle of a function (a resume path redefines every
//! stack slot, so no SSA value may be assumed to flow past a resume point).

use crate::abi;
use crate::module_info::ValType;
use cranelift_codegen::ir::{types, Value};
use cranelift_frontend::{FunctionBuilder, Variable};

const NUM_TYPES: usize = 8;

fn type_index(ty: ValType) -> usize {
    match ty {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
        ValType::FuncRef => 4,
        ValType::ExternRef => 5,
        ValType::ExnRef => 6,
        ValType::V128 => 7,
        ValType::Ref(_) => type_index(ty.repr()),
    }
}

/// The numeric Wasm type of a Cranelift value (references are never
/// produced by numeric instructions, so an `i64` is an `i64`).
pub fn numeric_type(ty: cranelift_codegen::ir::Type) -> ValType {
    match ty {
        types::I32 => ValType::I32,
        types::I64 => ValType::I64,
        types::F32 => ValType::F32,
        types::F64 => ValType::F64,
        types::I8X16 => ValType::V128,
        other => unreachable!("no Wasm value has Cranelift type {other}"),
    }
}

#[derive(Default)]
pub struct OperandStack {
    /// The type of each entry, bottom first.
    types: Vec<ValType>,
    /// `vars[depth][type]`, declared on first use.
    vars: Vec<[Option<Variable>; NUM_TYPES]>,
}

impl OperandStack {
    pub fn clear(&mut self) {
        self.types.clear();
        self.vars.clear();
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn types(&self) -> &[ValType] {
        &self.types
    }

    pub fn top_type(&self) -> ValType {
        *self.types.last().expect("validated: operand available")
    }

    fn var(&mut self, b: &mut FunctionBuilder<'_>, depth: usize, ty: ValType) -> Variable {
        if self.vars.len() <= depth {
            self.vars.resize(depth + 1, [None; NUM_TYPES]);
        }
        *self.vars[depth][type_index(ty)].get_or_insert_with(|| b.declare_var(abi::ir_type(ty)))
    }

    /// Defines the slot at `depth` (which must hold a `ty`) as `value`.
    pub fn set(&mut self, b: &mut FunctionBuilder<'_>, depth: usize, ty: ValType, value: Value) {
        let var = self.var(b, depth, ty.repr());
        b.def_var(var, value);
    }

    /// The current value of the slot at `depth`.
    pub fn get(&mut self, b: &mut FunctionBuilder<'_>, depth: usize) -> Value {
        let ty = self.types[depth];
        let var = self.var(b, depth, ty);
        b.use_var(var)
    }

    /// The value of the slot at `depth` as a `ty`, whatever the stack holds
    /// now (for saving a record whose layout was taken earlier).
    pub fn get_typed(&mut self, b: &mut FunctionBuilder<'_>, depth: usize, ty: ValType) -> Value {
        let var = self.var(b, depth, ty.repr());
        b.use_var(var)
    }

    /// Pushes `value`, of type `ty` (kept as its representation,
    /// [`ValType::repr`]: every type the stack holds is one).
    pub fn push(&mut self, b: &mut FunctionBuilder<'_>, value: Value, ty: ValType) {
        let ty = ty.repr();
        let depth = self.types.len();
        self.types.push(ty);
        self.set(b, depth, ty, value);
    }

    pub fn pop(&mut self, b: &mut FunctionBuilder<'_>) -> Value {
        let depth = self.types.len() - 1;
        let value = self.get(b, depth);
        self.types.pop();
        value
    }

    /// The top `n` values, bottom first, without popping them.
    pub fn peek_n(&mut self, b: &mut FunctionBuilder<'_>, n: usize) -> Vec<Value> {
        let len = self.types.len();
        (len - n..len).map(|depth| self.get(b, depth)).collect()
    }

    pub fn pop_n(&mut self, b: &mut FunctionBuilder<'_>, n: usize) -> Vec<Value> {
        let values = self.peek_n(b, n);
        self.types.truncate(self.types.len() - n);
        values
    }

    /// Drops entries above `height` without reading them.
    pub fn truncate(&mut self, height: usize) {
        self.types.truncate(height);
    }

    /// Pushes entries of the given types whose slots are already defined
    /// on every path that reaches this point (e.g. a join's results).
    pub fn push_defined(&mut self, types: &[ValType]) {
        self.types.extend(types.iter().map(|t| t.repr()));
    }

    /// Copies the top `n` values down to start at `height` (what a branch
    /// to a frame of that height carrying `n` values does).
    pub fn move_top_to(&mut self, b: &mut FunctionBuilder<'_>, n: usize, height: usize) {
        let from = self.types.len() - n;
        if from == height {
            return;
        }
        let values = self.peek_n(b, n);
        for (i, value) in values.into_iter().enumerate() {
            let ty = self.types[from + i];
            self.set(b, height + i, ty, value);
        }
    }

    /// Whether [`OperandStack::move_top_to`] has anything to do.
    pub fn needs_move(&self, n: usize, height: usize) -> bool {
        self.types.len() - n != height
    }
}
