//! WebAssembly operators to Cranelift IR, one function at a time.
//!
//! [`FuncTranslator::translate`] sets up the function (signature, locals,
//! stack check, fuel, the function-level control frame); `operators.rs`
//! holds the one `match` over operators; `env.rs` everything that knows the
//! runtime's data layout; `stack.rs` the operand stack; `control.rs` the
//! control frames; `numeric.rs` arithmetic that needs explicit trap checks;
//! `cost.rs`, `liveness.rs`, `suspend.rs` and `rewind.rs` reduction counting
//! and resume points.

mod branches;
mod call_graph;
mod checked_bounds;
mod control;
mod cost;
pub use call_graph::CallGraph;
mod env;
mod exceptions;
mod frame;
mod joins;
mod liveness;
mod memory_use;
mod numeric;
mod operators;
mod rewind;
mod simd;
mod stack;
mod suspend;

use crate::abi;
use crate::error::CompileError;
use crate::limits;
use crate::module_info::{ModuleInfo, ValType};
use crate::resume::ResumePoint;
use control::{ControlFrame, FrameKind};
use cranelift_codegen::ir::{self, types, InstBuilder, Value};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use env::FuncEnv;
use stack::OperandStack;
use suspend::Suspension;

/// Reusable translation state (allocations survive between functions).
pub struct FuncTranslator {
    fctx: FunctionBuilderContext,
    stack: OperandStack,
}

impl Default for FuncTranslator {
    fn default() -> Self {
        Self::new()
    }
}

impl FuncTranslator {
    pub fn new() -> Self {
        FuncTranslator { fctx: FunctionBuilderContext::new(), stack: OperandStack::default() }
    }

    /// Translates defined function `func_index` (module-wide index) of `info`
    /// into `func`, with reduction counting and resume points if
    /// `reductions` (the module's call graph) is given; returns the resume
    /// points. The body must have passed validation.
    #[allow(clippy::too_many_arguments)]
    pub fn translate(
        &mut self,
        isa: &dyn TargetIsa,
        info: &ModuleInfo,
        wasm: &[u8],
        func_index: u32,
        reductions: Option<&CallGraph>,
        func: &mut ir::Function,
    ) -> Result<Vec<ResumePoint>, CompileError> {
        let ty = info.func_type(func_index).clone();
        func.signature = abi::wasm_signature(&ty);
        func.name = ir::UserFuncName::user(0, func_index);
        let defined = (func_index - info.num_imported_functions) as usize;
        let range = info.bodies[defined].clone();
        let body = cost::body_at(wasm, range);
        let cost = match reductions {
            Some(calls) => Some(cost::scan(&body, func_index, calls)?),
            None => None,
        };

        let mut b = FunctionBuilder::new(func, &mut self.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let params = b.block_params(entry).to_vec();
        let (vmctx, exec, fuel_in) = (params[0], params[1], params[2]);
        let (return_area, wasm_params) =
            if abi::uses_return_area(&ty) { (Some(params[3]), &params[4..]) } else { (None, &params[3..]) };

        let propagate_block = b.create_block();
        b.set_cold_block(propagate_block);
        let memory_use = memory_use::scan(&body)?;
        let env = FuncEnv::new(&mut b, info, isa.default_call_conv(), vmctx, exec, propagate_block, memory_use);

        let mut locals = Vec::new();
        let mut local_types = Vec::new();
        for (value, t) in wasm_params.iter().zip(ty.params.iter()) {
            let var = b.declare_var(abi::ir_type(*t));
            b.def_var(var, *value);
            locals.push(var);
            // The translator sees reference types as they are represented
            // (see `ValType::repr`): validation has checked the rest.
            local_types.push(t.repr());
        }
        for local in body.get_locals_reader()? {
            let (count, t) = local?;
            let t = crate::parse::val_type(t)?.repr();
            for _ in 0..count {
                let var = b.declare_var(abi::ir_type(t));
                let zero = zero_value(&mut b, t);
                b.def_var(var, zero);
                locals.push(var);
                local_types.push(t);
            }
        }

        let liveness = match &cost {
            Some(cost) if !cost.is_leaf() => {
                let liveness = liveness::scan(&body, ty.params.len(), local_types.len())?;
                // A resume point saves at least its live locals: refuse now
                // what the compiler would refuse after translating (see
                // compile.rs), as translating it is already slow.
                let saved = liveness.most_saved(local_types.len());
                if saved > limits::MAX_RECORD_SLOTS {
                    return Err(CompileError::LimitExceeded {
                        what: "locals and operand stack values saved at one resume point",
                        count: saved,
                        max: limits::MAX_RECORD_SLOTS,
                    });
                }
                Some(liveness)
            }
            Some(_) => Some(liveness::scan(&body, ty.params.len(), local_types.len())?),
            None => None,
        };
        let suspension = cost.zip(liveness).map(|(cost, liveness)| {
            let fuel = (!cost.is_leaf()).then(|| b.declare_var(types::I64));
            let entry_cold = b.create_block();
            b.set_cold_block(entry_cold);
            Suspension {
                cost,
                liveness,
                fuel,
                loops: Vec::new(),
                open_loops: Vec::new(),
                points: Vec::new(),
                entry_cold,
                commit_block: None,
                frame: None,
                area: frame::AreaLayout::new(&local_types),
                tracked_bytes: 0,
                hops: 0,
            }
        });
        let return_block = b.create_block();
        self.stack.clear();
        let mut t = Translation {
            b,
            env,
            func_index,
            stack: std::mem::take(&mut self.stack),
            control: vec![ControlFrame {
                kind: FrameKind::Function,
                next: return_block,
                param_types: Vec::new(),
                result_types: ty.results.to_vec(),
                height: 0,
                next_reachable: false,
                joins: control::Joins::default(),
            }],
            homes: vec![frame::LocalHome::Variable; locals.len()],
            locals,
            local_types,
            num_params: ty.params.len(),
            op_offset: 0,
            reachable: true,
            dead_depth: 0,
            suspension,
            calls: reductions,
            return_area,
            fuel_in,
            tail_calls: false,
            handlers: Vec::new(),
            vector_isa: simd::vector_isa(isa),
        };
        let entry_cold = t.suspension.as_ref().map(|s| s.entry_cold);
        t.env.check_stack(&mut t.b, entry_cold);
        t.env.init_memory_cache(&mut t.b);
        t.entry_fuel_check();

        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            t.op_offset = reader.original_position();
            let op = reader.read()?;
            t.operator(op)?;
            if t.control.len() > limits::MAX_CONTROL_DEPTH {
                return Err(CompileError::LimitExceeded {
                    what: "nested blocks",
                    count: t.control.len(),
                    max: limits::MAX_CONTROL_DEPTH,
                });
            }
            if let Some(words) = t.suspension.as_ref().filter(|s| s.area.too_large()).map(|s| s.area.words) {
                return Err(CompileError::LimitExceeded {
                    what: "words of a function's record area",
                    count: words,
                    max: limits::MAX_AREA_SLOTS,
                });
            }
            if let Some(hops) = t.suspension.as_ref().map(|s| s.hops).filter(|h| *h > limits::MAX_RESUME_HOPS) {
                return Err(CompileError::LimitExceeded {
                    what: "loop headers passed through by the restore paths of resume points",
                    count: hops,
                    max: limits::MAX_RESUME_HOPS,
                });
            }
        }

        // The final `end` moved to the return block with the results in the
        // bottom stack slots; the fuel goes back with them.
        let results = t.stack.pop_n(&mut t.b, ty.results.len());
        let fuel = t.current_fuel();
        match return_area {
            Some(area) => {
                abi::store_values(&mut t.b, &results, area);
                t.b.ins().return_(&[fuel]);
            }
            None => {
                let mut returned = vec![fuel];
                returned.extend(results);
                t.b.ins().return_(&returned);
            }
        }

        t.finish_suspension()?;
        t.env.finish_trap_blocks(&mut t.b);
        // A trap or an unwind: return at once with placeholder results,
        // through the same epilogue.
        t.b.switch_to_block(propagate_block);
        t.set_placeholder_fuel();
        for (depth, result) in ty.results.iter().enumerate() {
            let zero = zero_value(&mut t.b, *result);
            t.stack.set(&mut t.b, depth, *result, zero);
        }
        t.b.ins().jump(return_block, &[]);

        let points = t.suspension.take().map_or_else(Vec::new, |s| s.points.into_iter().map(|p| p.layout).collect());
        let Translation { mut b, stack, .. } = t;
        self.stack = stack;
        b.seal_all_blocks();
        b.finalize(isa.frontend_config());
        Ok(points)
    }
}

fn zero_value(b: &mut FunctionBuilder<'_>, t: ValType) -> Value {
    crate::abi::zero(b, crate::abi::ir_type(t))
}

/// The state of translating one function body.
struct Translation<'a, 'f> {
    b: FunctionBuilder<'f>,
    env: FuncEnv<'a>,
    /// Module-wide index of the function, as written in its records.
    func_index: u32,
    stack: OperandStack,
    control: Vec<ControlFrame>,
    locals: Vec<Variable>,
    /// Where each local's current value is (see `frame.rs`).
    homes: Vec<frame::LocalHome>,
    local_types: Vec<ValType>,
    /// How many of `locals` are parameters (they come first).
    num_params: usize,
    /// Byte offset in the module of the operator being translated (what
    /// the liveness analysis knows resume points by).
    op_offset: u64,
    /// Whether the current position can be reached. Unreachable code is
    /// skipped: validation allows it to be typed in ways SSA cannot express.
    reachable: bool,
    /// Blocks opened inside unreachable code, whose `end`s are skipped too.
    dead_depth: usize,
    suspension: Option<Suspension>,
    /// The module's call graph, when compiling with reductions.
    calls: Option<&'a CallGraph>,
    /// Where the caller wants the results, for a function type with many
    /// (see `abi::uses_return_area`); a tail call passes it on.
    return_area: Option<Value>,
    /// The fuel the function was called with: what it passes on and
    /// returns if it keeps no fuel of its own (see `suspend.rs`).
    fuel_in: Value,
    /// Whether the function makes tail calls: then its frame, when
    /// restored, may find a callee's record instead of its own (see
    /// `rewind.rs`).
    tail_calls: bool,
    /// The catch clauses of the `try_table`s around the current position,
    /// outermost first (see `exceptions.rs`).
    handlers: Vec<exceptions::TryScope>,
    /// Whether the target has the vector instructions SIMD operators need
    /// (see `simd::vector_isa`).
    vector_isa: bool,
}
