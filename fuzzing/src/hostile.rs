//! Generators of hostile modules for the limits oracle: valid (or just past
//! a validator limit) modules of extreme shape, each exporting a function
//! `run: [i32] -> [i32]` that exercises the extreme part.
//!
//! Sizes are drawn on a logarithmic scale up to a little past the limits
//! that matter (the validator's 50,000 locals and 1,000 params or results,
//! [`wasmbeam_jit::limits::MAX_CONTROL_DEPTH`]), so both sides of each
//! limit are reached.

use arbitrary::Unstructured;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, ExportKind,
    ExportSection, Function, FunctionSection, MemorySection, MemoryType, Module, RefType, TableSection, TableType,
    TypeSection, ValType,
};

/// What a hostile module stresses, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One function with this many locals of one type, all live across a
    /// loop that calls another function (so every resume point saves them).
    ManyLocals { count: u32, ty: Kind },
    /// This many nested blocks, loops or ifs, branching out of or back to
    /// one of them from the innermost.
    DeepNesting { depth: u32, construct: Construct },
    /// A `br_table` with this many targets over `depth` nested blocks.
    BrTable { targets: u32, depth: u32 },
    /// A chain of this many functions, each calling the next directly or
    /// through a table.
    ManyFunctions { count: u32 },
    /// This many active data segments of `bytes` each in a memory of
    /// `pages`, some possibly out of bounds, and a passive one copied in
    /// with `memory.init`.
    LargeData { segments: u32, bytes: u32, pages: u32 },
    /// A function with this many results (or params) of mixed types,
    /// called directly and through a table.
    ManyValues { count: u32, results: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    I32,
    I64,
    F32,
    F64,
    ExternRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Construct {
    Block,
    Loop,
    If,
}

/// A size up to `max`, log-uniform, sometimes exactly at `edge`, `edge - 1`
/// or `edge + 1`.
fn size(u: &mut Unstructured<'_>, max: u32, edge: u32) -> arbitrary::Result<u32> {
    if u.ratio(1u8, 4)? {
        return Ok(edge + u.int_in_range(0..=2)? - 1);
    }
    let bits = u.int_in_range(0..=max.ilog2())?;
    Ok(u.int_in_range(1u32 << bits..=(2u32 << bits) - 1)?.min(max))
}

impl Shape {
    pub fn arbitrary(u: &mut Unstructured<'_>) -> arbitrary::Result<Shape> {
        let kind = *u.choose(&[Kind::I32, Kind::I64, Kind::F32, Kind::F64, Kind::ExternRef])?;
        Ok(match u.int_in_range(0..=5u8)? {
            0 => Shape::ManyLocals { count: size(u, 60_000, 50_000)?, ty: kind },
            1 => {
                let construct = *u.choose(&[Construct::Block, Construct::Loop, Construct::If])?;
                let edge = wasmbeam_jit::limits::MAX_CONTROL_DEPTH as u32;
                Shape::DeepNesting { depth: size(u, edge + 1000, edge)?, construct }
            }
            2 => Shape::BrTable { targets: size(u, 300_000, 65_536)?, depth: u.int_in_range(1..=64)? },
            3 => Shape::ManyFunctions { count: size(u, 8_000, 4_096)? },
            4 => {
                let segments = size(u, 2_000, 1_000)?;
                // At most MAX_DATA_BYTES in all, so modules stay a few MiB.
                let bytes = size(u, 1 << 20, 1 << 16)?.min(MAX_DATA_BYTES / segments.max(1));
                Shape::LargeData { segments, bytes, pages: u.int_in_range(0..=64)? }
            }
            _ => Shape::ManyValues { count: size(u, 1_001, 1_000)?, results: u.arbitrary()? },
        })
    }

    /// The module's bytes.
    pub fn encode(self) -> Vec<u8> {
        match self {
            Shape::ManyLocals { count, ty } => many_locals(count, ty),
            Shape::DeepNesting { depth, construct } => deep_nesting(depth, construct),
            Shape::BrTable { targets, depth } => br_table(targets, depth),
            Shape::ManyFunctions { count } => many_functions(count),
            Shape::LargeData { segments, bytes, pages } => large_data(segments, bytes, pages),
            Shape::ManyValues { count, results } => many_values(count, results),
        }
    }
}

const RUN: [ValType; 1] = [ValType::I32];

/// Bytes of all the data segments of a [`Shape::LargeData`] module.
pub const MAX_DATA_BYTES: u32 = 4 << 20;

fn val_type(kind: Kind) -> ValType {
    match kind {
        Kind::I32 => ValType::I32,
        Kind::I64 => ValType::I64,
        Kind::F32 => ValType::F32,
        Kind::F64 => ValType::F64,
        Kind::ExternRef => ValType::EXTERNREF,
    }
}

/// Types, functions (each of the given type index) with their bodies, and
/// `run` exported as function `export`; plus optional extra sections
/// written between the function and export sections, and after the code.
struct Builder {
    types: TypeSection,
    functions: FunctionSection,
    code: CodeSection,
    tables: Option<TableSection>,
    memories: Option<MemorySection>,
    elements: Option<ElementSection>,
    data: Option<DataSection>,
}

impl Builder {
    fn new() -> Builder {
        let mut types = TypeSection::new();
        types.ty().function(RUN, RUN);
        Builder {
            types,
            functions: FunctionSection::new(),
            code: CodeSection::new(),
            tables: None,
            memories: None,
            elements: None,
            data: None,
        }
    }

    fn add_type(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        self.types.ty().function(params.iter().copied(), results.iter().copied());
        self.types.len() - 1
    }

    fn add_function(&mut self, ty: u32, body: &Function) {
        self.functions.function(ty);
        self.code.function(body);
    }

    /// Exports function 0 as `run`.
    fn finish(self) -> Vec<u8> {
        let mut module = Module::new();
        module.section(&self.types).section(&self.functions);
        if let Some(tables) = &self.tables {
            module.section(tables);
        }
        if let Some(memories) = &self.memories {
            module.section(memories);
        }
        let mut exports = ExportSection::new();
        exports.export("run", ExportKind::Func, 0);
        module.section(&exports);
        if let Some(elements) = &self.elements {
            module.section(elements);
        }
        if let Some(data) = &self.data {
            module.section(&DataCountSection { count: data.len() });
        }
        module.section(&self.code);
        if let Some(data) = &self.data {
            module.section(data);
        }
        module.finish()
    }
}

/// `run(n)`: loops `n` times (at most 1000); each iteration calls an empty
/// function and adds 1 to the first, middle and last local; returns the
/// sum of the three (as i32).
fn many_locals(count: u32, kind: Kind) -> Vec<u8> {
    let ty = val_type(kind);
    let mut b = Builder::new();
    let empty = b.add_type(&[], &[]);
    // Locals: param 0, then `count` of `ty`, then an i32 counter.
    let counter = count + 1;
    let mut run = Function::new([(count, ty), (1, ValType::I32)]);
    let picks = [1, count.div_ceil(2).max(1), count];
    {
        let mut i = run.instructions();
        i.local_get(0).i32_const(1000).i32_gt_u().if_(BlockType::Empty).i32_const(1000).local_set(0).end();
        i.loop_(BlockType::Empty).call(1);
        if count > 0 {
            for &local in &picks {
                match kind {
                    Kind::I32 => i.local_get(local).i32_const(1).i32_add().local_set(local),
                    Kind::I64 => i.local_get(local).i64_const(1).i64_add().local_set(local),
                    Kind::F32 => i.local_get(local).f32_const(1.0.into()).f32_add().local_set(local),
                    Kind::F64 => i.local_get(local).f64_const(1.0.into()).f64_add().local_set(local),
                    Kind::ExternRef => i.local_get(local).ref_is_null().drop(),
                };
            }
        }
        i.local_get(counter).i32_const(1).i32_add().local_tee(counter).local_get(0).i32_lt_u().br_if(0).end();
        i.local_get(counter);
        if count > 0 {
            for &local in &picks {
                match kind {
                    Kind::I32 => i.local_get(local).i32_add(),
                    Kind::I64 => i.local_get(local).i32_wrap_i64().i32_add(),
                    Kind::F32 => i.local_get(local).i32_trunc_sat_f32_s().i32_add(),
                    Kind::F64 => i.local_get(local).i32_trunc_sat_f64_s().i32_add(),
                    Kind::ExternRef => i.local_get(local).ref_is_null().i32_add(),
                };
            }
        }
        i.end();
    }
    b.add_function(0, &run);
    let mut nothing = Function::new([]);
    nothing.instructions().end();
    b.add_function(empty, &nothing);
    b.finish()
}

/// `run(n)`: `depth` nested constructs; the innermost decrements `n` and,
/// while it is not zero, branches to the construct at half the depth (out
/// of a block or if, back to a loop's start).
fn deep_nesting(depth: u32, construct: Construct) -> Vec<u8> {
    // At depth 0 the branch would target the function's own label.
    let depth = depth.max(1);
    let mut b = Builder::new();
    let mut run = Function::new([]);
    {
        let mut i = run.instructions();
        i.local_get(0).i32_const(100).i32_gt_u().if_(BlockType::Empty).i32_const(100).local_set(0).end();
        for _ in 0..depth {
            match construct {
                Construct::Block => i.block(BlockType::Empty),
                Construct::Loop => i.loop_(BlockType::Empty),
                Construct::If => i.i32_const(1).if_(BlockType::Empty),
            };
        }
        i.local_get(0).i32_const(1).i32_sub().local_tee(0).br_if(depth / 2);
        for _ in 0..depth {
            i.end();
        }
        i.local_get(0).end();
    }
    b.add_function(0, &run);
    b.finish()
}

/// `run(n)`: `depth` nested blocks, the innermost a `br_table` on `n` with
/// `targets` labels spread over the blocks; after each block's end a
/// distinct amount is added to the result.
fn br_table(targets: u32, depth: u32) -> Vec<u8> {
    let mut b = Builder::new();
    let mut run = Function::new([(1, ValType::I32)]);
    {
        let mut i = run.instructions();
        for _ in 0..depth {
            i.block(BlockType::Empty);
        }
        let labels = (0..targets).map(|t| (t.wrapping_mul(2_654_435_761) >> 7) % depth);
        i.local_get(0).br_table(labels, depth - 1);
        for level in 0..depth {
            i.end().local_get(1).i32_const(level as i32 + 1).i32_add().local_set(1);
        }
        i.local_get(1).end();
    }
    b.add_function(0, &run);
    b.finish()
}

/// `run(n)`: function `k` returns function `k+1`'s result plus one, calling
/// it directly for even `k` and through the table for odd `k`; the last
/// returns `n`.
fn many_functions(count: u32) -> Vec<u8> {
    let mut b = Builder::new();
    let count = count.max(1);
    for k in 0..count {
        let mut f = Function::new([]);
        let mut i = f.instructions();
        if k + 1 == count {
            i.local_get(0);
        } else if k % 2 == 0 {
            i.local_get(0).call(k + 1).i32_const(1).i32_add();
        } else {
            i.local_get(0).i32_const(k as i32 + 1).call_indirect(0, 0).i32_const(1).i32_add();
        }
        i.end();
        b.add_function(0, &f);
    }
    let mut tables = TableSection::new();
    let size = u64::from(count);
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: size,
        maximum: Some(size),
        shared: false,
    });
    b.tables = Some(tables);
    let mut elements = ElementSection::new();
    let all: Vec<u32> = (0..count).collect();
    elements.active(None, &ConstExpr::i32_const(0), Elements::Functions(all.into()));
    b.elements = Some(elements);
    b.finish()
}

/// A memory of `pages` (maximum `pages + 1`); `segments` active segments of
/// `bytes` bytes, the k-th at `k * 4099` (so large ones overlap, and some
/// may not fit: instantiation traps); one passive segment of `bytes` bytes.
/// `run(n)` grows the memory by one page, copies the passive segment to
/// `n` (traps if out of bounds) and returns the byte at `n`.
fn large_data(segments: u32, bytes: u32, pages: u32) -> Vec<u8> {
    let mut b = Builder::new();
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: u64::from(pages),
        maximum: Some(u64::from(pages) + 1),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    b.memories = Some(memories);
    let mut data = DataSection::new();
    for k in 0..segments {
        let fill = std::iter::repeat_n((k % 251) as u8, bytes as usize);
        data.active(0, &ConstExpr::i32_const((k.wrapping_mul(4099)) as i32), fill);
    }
    data.passive(std::iter::repeat_n(0xa5, bytes as usize));
    let passive = data.len() - 1;
    b.data = Some(data);
    let mut run = Function::new([]);
    run.instructions()
        .i32_const(1)
        .memory_grow(0)
        .drop()
        .local_get(0)
        .i32_const(0)
        .i32_const(bytes as i32)
        .memory_init(0, passive)
        .local_get(0)
        .i32_load8_u(wasm_encoder::MemArg {
            offset: 0,
            align: 0,
            target: wasm_encoder::MemArgTarget::Memory(0),
            ordering: None,
        })
        .end();
    b.add_function(0, &run);
    b.finish()
}

/// A function `wide` with `count` params or results of types cycling
/// through i32, i64, f32, f64 (results: constants; params: summed into an
/// i32), called by `run` directly and through a table.
fn many_values(count: u32, results: bool) -> Vec<u8> {
    let cycle = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];
    let types: Vec<ValType> = (0..count as usize).map(|k| cycle[k % 4]).collect();
    let mut b = Builder::new();
    let wide_ty = if results { b.add_type(&[ValType::I32], &types) } else { b.add_type(&types, &[ValType::I32]) };
    let mut run = Function::new([]);
    {
        let mut i = run.instructions();
        for indirect in [false, true] {
            if results {
                i.local_get(0);
            } else {
                for (k, ty) in types.iter().enumerate() {
                    push_const(&mut i, *ty, k as i32);
                }
            }
            if indirect {
                i.i32_const(0).call_indirect(0, wide_ty);
            } else {
                i.call(1);
            }
            if results {
                // Fold the results into one i32: drop all but the first.
                for _ in 1..count {
                    i.drop();
                }
                if count == 0 {
                    i.i32_const(0);
                }
            }
            i.local_get(0).i32_add().local_set(0);
        }
        i.local_get(0).end();
    }
    b.add_function(0, &run);
    let mut wide = Function::new([]);
    {
        let mut i = wide.instructions();
        if results {
            for (k, ty) in types.iter().enumerate() {
                push_const(&mut i, *ty, k as i32);
            }
        } else {
            i.i32_const(0);
            for (k, ty) in types.iter().enumerate() {
                i.local_get(k as u32);
                match ty {
                    ValType::I64 => i.i32_wrap_i64(),
                    ValType::F32 => i.i32_trunc_sat_f32_s(),
                    ValType::F64 => i.i32_trunc_sat_f64_s(),
                    _ => &mut i,
                };
                i.i32_add();
            }
        }
        i.end();
    }
    b.add_function(wide_ty, &wide);
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: 1,
        maximum: Some(1),
        shared: false,
    });
    b.tables = Some(tables);
    let mut elements = ElementSection::new();
    elements.active(None, &ConstExpr::i32_const(0), Elements::Functions(vec![1].into()));
    b.elements = Some(elements);
    b.finish()
}

fn push_const(i: &mut wasm_encoder::InstructionSink<'_>, ty: ValType, k: i32) {
    match ty {
        ValType::I64 => i.i64_const(i64::from(k) << 33),
        ValType::F32 => i.f32_const((k as f32 + 0.5).into()),
        ValType::F64 => i.f64_const((f64::from(k) * 1.5).into()),
        _ => i.i32_const(k),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_shapes_are_valid() {
        let shapes = [
            Shape::ManyLocals { count: 3, ty: Kind::F32 },
            Shape::ManyLocals { count: 0, ty: Kind::ExternRef },
            Shape::DeepNesting { depth: 5, construct: Construct::Loop },
            Shape::DeepNesting { depth: 0, construct: Construct::If },
            Shape::BrTable { targets: 10, depth: 3 },
            Shape::ManyFunctions { count: 5 },
            Shape::LargeData { segments: 3, bytes: 10, pages: 1 },
            Shape::ManyValues { count: 7, results: true },
            Shape::ManyValues { count: 7, results: false },
            Shape::ManyValues { count: 0, results: true },
        ];
        for shape in shapes {
            let wasm = shape.encode();
            let valid =
                wasmparser::Validator::new_with_features(wasmbeam_jit::features()).validate_all(&wasm).map(drop);
            assert!(valid.is_ok(), "{shape:?}: {valid:?}");
        }
    }
}
