//! Validation and parsing: bytes in, a [`ModuleInfo`] out, or a
//! [`CompileError`] that says what is wrong and where.

use crate::error::CompileError;
use crate::features::Features;
use crate::limits;
use crate::module_info::*;
use wasmparser::{
    ElementItems, ElementKind, FuncValidatorAllocations, Operator, Parser, Payload, Validator, WasmFeatures,
};

/// Exactly the validator features wasmbeam implements ([`Features::ALL`]).
pub fn features() -> WasmFeatures {
    Features::ALL.wasmparser()
}

/// Validates `bytes` as a module using any feature wasmbeam implements, and
/// collects its declarations (see [`parse_with`]).
pub fn parse(bytes: &[u8]) -> Result<ModuleInfo, CompileError> {
    parse_with(bytes, Features::ALL)
}

/// Validates `bytes` as a WebAssembly 2.0 (scalar) module with the
/// proposals `features` allows, and collects its declarations. Function
/// bodies are validated here too, so the translator may assume well-typed
/// code.
///
/// Function bodies are validated on all cores once the module has been
/// read, and an error is the one a validation in module order would
/// report: that of the first invalid body, even when a later section is
/// malformed too.
pub fn parse_with(bytes: &[u8], features: Features) -> Result<ModuleInfo, CompileError> {
    let features = features.wasmparser();
    let mut validator = Validator::new_with_features(features);
    let mut info = ModuleInfo::default();
    let mut bodies = Vec::new();

    // The parser must know the features too: some encodings of later
    // proposals (compact imports) are accepted by the parser's defaults
    // and never seen by the validator.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    let read = (|| {
        for payload in parser.parse_all(bytes) {
            let payload = payload?;
            match validator.payload(&payload)? {
                wasmparser::ValidPayload::Func(to_validate, body) => {
                    let range = body.range();
                    info.bodies.push(range.start as usize..range.end as usize);
                    bodies.push((to_validate, body));
                }
                wasmparser::ValidPayload::End(_) => break,
                _ => {}
            }
            read_payload(&mut info, bytes, payload)?;
        }
        Ok::<(), CompileError>(())
    })();
    validate_bodies(bodies)?;
    read?;
    check_limits(&info)?;
    Ok(info)
}

type Body<'a> = (wasmparser::FuncToValidate<wasmparser::ValidatorResources>, wasmparser::FunctionBody<'a>);

/// Validates function bodies, on several threads when there are many;
/// the error is the first body's in order.
fn validate_bodies(bodies: Vec<Body<'_>>) -> Result<(), CompileError> {
    let total: u64 = bodies.iter().map(|(_, body)| body.range().end - body.range().start).sum();
    let threads = if total < (1 << 20) { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
    // Each chunk stops at its first invalid body: what follows it does not
    // matter, as chunks come in module order.
    let outcomes = crate::parallel::map_chunks(bodies, threads, |chunk| {
        let mut allocs = FuncValidatorAllocations::default();
        let mut outcomes = Vec::new();
        for (to_validate, body) in chunk {
            let mut func_validator = to_validate.into_validator(std::mem::take(&mut allocs));
            let outcome = func_validator.validate(&body);
            let failed = outcome.is_err();
            outcomes.push(outcome);
            if failed {
                break;
            }
            allocs = func_validator.into_allocations();
        }
        outcomes
    });
    Ok(outcomes.into_iter().collect::<Result<(), _>>()?)
}

fn read_payload(info: &mut ModuleInfo, bytes: &[u8], payload: Payload<'_>) -> Result<(), CompileError> {
    match payload {
        Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Module => {
            return Err(CompileError::Unsupported("components are not supported".into()));
        }
        Payload::TypeSection(reader) => {
            for ty in reader.into_iter_err_on_gc_types() {
                let ty = ty?;
                info.types.push(FuncType::new(
                    ty.params().iter().map(|t| val_type(*t)).collect::<Result<Vec<_>, _>>()?,
                    ty.results().iter().map(|t| val_type(*t)).collect::<Result<Vec<_>, _>>()?,
                ));
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.into_imports_with_offsets() {
                let (offset, import) = import?;
                check_import_limits(bytes, offset)?;
                let kind = match import.ty {
                    wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => {
                        info.functions.push(t);
                        info.num_imported_functions += 1;
                        ImportKind::Func(t)
                    }
                    wasmparser::TypeRef::Table(t) => {
                        let t = table_type(t)?;
                        info.tables.push(t);
                        info.num_imported_tables += 1;
                        ImportKind::Table(t)
                    }
                    wasmparser::TypeRef::Memory(m) => {
                        let m = memory_type(m)?;
                        info.memories.push(m);
                        info.num_imported_memories += 1;
                        ImportKind::Memory(m)
                    }
                    wasmparser::TypeRef::Global(g) => {
                        let g = global_type(g)?;
                        info.globals.push(g);
                        info.num_imported_globals += 1;
                        ImportKind::Global(g)
                    }
                    wasmparser::TypeRef::Tag(t) => {
                        info.tags.push(t.func_type_idx);
                        info.num_imported_tags += 1;
                        ImportKind::Tag(t.func_type_idx)
                    }
                };
                info.imports.push(Import { module: import.module.into(), name: import.name.into(), kind });
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader {
                info.functions.push(ty?);
            }
        }
        Payload::TableSection(reader) => {
            for table in reader.into_iter_with_offsets() {
                let (offset, table) = table?;
                let mut raw = limits_reader(bytes, offset)?;
                if raw.read_u8()? != 0x40 {
                    check_limits_encoding(&mut raw)?;
                }
                info.tables.push(table_type(table.ty)?);
                info.table_inits.push(match table.init {
                    wasmparser::TableInit::RefNull => None,
                    wasmparser::TableInit::Expr(e) => Some(const_expr(&e)?),
                });
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader.into_iter_with_offsets() {
                let (offset, memory) = memory?;
                check_limits_encoding(&mut limits_reader(bytes, offset)?)?;
                info.memories.push(memory_type(memory)?);
            }
        }
        Payload::GlobalSection(reader) => {
            for global in reader {
                let global = global?;
                info.globals.push(global_type(global.ty)?);
                info.global_inits.push(const_expr(&global.init_expr)?);
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader {
                let export = export?;
                let kind = match export.kind {
                    wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => ExportKind::Func,
                    wasmparser::ExternalKind::Table => ExportKind::Table,
                    wasmparser::ExternalKind::Memory => ExportKind::Memory,
                    wasmparser::ExternalKind::Global => ExportKind::Global,
                    wasmparser::ExternalKind::Tag => ExportKind::Tag,
                };
                info.exports.push(Export { name: export.name.into(), kind, index: export.index });
            }
        }
        Payload::TagSection(reader) => {
            for tag in reader {
                info.tags.push(tag?.func_type_idx);
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(func),
        Payload::ElementSection(reader) => {
            for element in reader {
                let element = element?;
                let mode = match element.kind {
                    ElementKind::Passive => ElementMode::Passive,
                    ElementKind::Declared => ElementMode::Declared,
                    ElementKind::Active { table_index, offset_expr } => {
                        ElementMode::Active { table: table_index.unwrap_or(0), offset: const_expr(&offset_expr)? }
                    }
                };
                let (element_type, items) = match element.items {
                    ElementItems::Functions(funcs) => (
                        ValType::FuncRef,
                        funcs.into_iter().map(|f| f.map(ConstExpr::RefFunc)).collect::<Result<Vec<_>, _>>()?,
                    ),
                    ElementItems::Expressions(ty, exprs) => {
                        (ref_type(ty)?, exprs.into_iter().map(|e| const_expr(&e?)).collect::<Result<Vec<_>, _>>()?)
                    }
                };
                info.elements.push(ElementSegment { element: element_type, mode, items });
            }
        }
        Payload::DataSection(reader) => {
            for data in reader {
                let data = data?;
                let mode = match data.kind {
                    wasmparser::DataKind::Passive => DataMode::Passive,
                    wasmparser::DataKind::Active { memory_index, offset_expr } => {
                        DataMode::Active { memory: memory_index, offset: const_expr(&offset_expr)? }
                    }
                };
                info.data.push(DataSegment { mode, bytes: data.data.to_vec() });
            }
        }
        _ => {}
    }
    Ok(())
}

/// The validator reads all limits as 64-bit numbers (for memory64), so it
/// accepts LEB128 encodings longer than the 5 bytes a 32-bit limit may take.
/// Re-reads the limits that start at `reader` (flags, minimum, maximum) as
/// the binary format defines them: 32-bit, but for a 64-bit memory or table
/// (flag 0x04).
fn check_limits_encoding(reader: &mut wasmparser::BinaryReader<'_>) -> Result<(), CompileError> {
    let flags = reader.read_u8()?;
    let read = |reader: &mut wasmparser::BinaryReader<'_>| match flags & 0x04 {
        0 => reader.read_var_u32().map(drop),
        _ => reader.read_var_u64().map(drop),
    };
    read(reader)?;
    if flags & 1 != 0 {
        read(reader)?;
    }
    Ok(())
}

fn limits_reader(bytes: &[u8], offset: u64) -> Result<wasmparser::BinaryReader<'_>, CompileError> {
    let offset = offset as usize;
    match bytes.get(offset..) {
        Some(rest) => Ok(wasmparser::BinaryReader::new(rest, offset as u64)),
        None => Err(CompileError::Invalid { message: "unexpected end".into(), offset }),
    }
}

/// [`check_limits_encoding`] for an imported table or memory, given the
/// offset of the import entry.
fn check_import_limits(bytes: &[u8], offset: u64) -> Result<(), CompileError> {
    let mut reader = limits_reader(bytes, offset)?;
    reader.read_string()?;
    reader.read_string()?;
    match reader.read_u8()? {
        0x01 => {
            reader.read_u8()?; // element type
            check_limits_encoding(&mut reader)
        }
        0x02 => check_limits_encoding(&mut reader),
        _ => Ok(()),
    }
}

fn check_limits(info: &ModuleInfo) -> Result<(), CompileError> {
    let check = |what: &'static str, count: usize, max: usize| {
        if count > max {
            Err(CompileError::LimitExceeded { what, count, max })
        } else {
            Ok(())
        }
    };
    check("functions", info.functions.len(), limits::MAX_FUNCTIONS)?;
    check("types", info.types.len(), limits::MAX_TYPES)?;
    check("tables", info.tables.len(), limits::MAX_TABLES)?;
    check("memories", info.memories.len(), limits::MAX_MEMORIES)?;
    check("globals", info.globals.len(), limits::MAX_GLOBALS)?;
    check("tags", info.tags.len(), limits::MAX_TAGS)?;
    check("element segments", info.elements.len(), limits::MAX_ELEMENT_SEGMENTS)?;
    check("data segments", info.data.len(), limits::MAX_DATA_SEGMENTS)?;
    Ok(())
}

pub(crate) fn val_type(ty: wasmparser::ValType) -> Result<ValType, CompileError> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_type(r)?,
    })
}

pub(crate) fn ref_type(ty: wasmparser::RefType) -> Result<ValType, CompileError> {
    Ok(ValType::reference(ty.is_nullable(), heap_type(ty.heap_type())?))
}

/// A heap type of typed function references (GC's are refused).
pub(crate) fn heap_type(heap: wasmparser::HeapType) -> Result<HeapType, CompileError> {
    use wasmparser::{AbstractHeapType as A, HeapType as H};
    Ok(match heap {
        H::Abstract { shared: false, ty: A::Func } => HeapType::Func,
        H::Abstract { shared: false, ty: A::Extern } => HeapType::Extern,
        H::Abstract { shared: false, ty: A::Exn } => HeapType::Exn,
        H::Abstract { shared: false, ty: A::NoFunc } => HeapType::NoFunc,
        H::Abstract { shared: false, ty: A::NoExtern } => HeapType::NoExtern,
        H::Abstract { shared: false, ty: A::NoExn } => HeapType::NoExn,
        H::Concrete(index) => match index.as_module_index() {
            Some(index) => HeapType::Concrete(index),
            None => return Err(CompileError::Unsupported(format!("heap type {heap:?}"))),
        },
        other => return Err(CompileError::Unsupported(format!("heap type {other:?} (GC)"))),
    })
}

fn table_type(ty: wasmparser::TableType) -> Result<TableType, CompileError> {
    if ty.shared {
        return Err(CompileError::Unsupported("shared tables".into()));
    }
    Ok(TableType {
        element: ref_type(ty.element_type)?,
        limits: Limits { min: ty.initial, max: ty.maximum },
        table64: ty.table64,
    })
}

fn memory_type(ty: wasmparser::MemoryType) -> Result<MemoryType, CompileError> {
    if ty.shared || ty.page_size_log2.is_some() {
        return Err(CompileError::Unsupported("shared or custom-page-size memories".into()));
    }
    Ok(MemoryType { limits: Limits { min: ty.initial, max: ty.maximum }, memory64: ty.memory64 })
}

fn global_type(ty: wasmparser::GlobalType) -> Result<GlobalType, CompileError> {
    if ty.shared {
        return Err(CompileError::Unsupported("shared globals".into()));
    }
    Ok(GlobalType { content: val_type(ty.content_type)?, mutable: ty.mutable })
}

/// Reads a validated constant expression: one instruction followed by
/// `end`, or (extended-const) a sequence of them.
fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, CompileError> {
    let mut reader = expr.get_operators_reader();
    let mut ops = Vec::new();
    loop {
        let op = match reader.read()? {
            Operator::End => break,
            Operator::I32Const { value } => ConstOp::I32Const(value),
            Operator::I64Const { value } => ConstOp::I64Const(value),
            Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Operator::I32Add => ConstOp::I32(Arith::Add),
            Operator::I32Sub => ConstOp::I32(Arith::Sub),
            Operator::I32Mul => ConstOp::I32(Arith::Mul),
            Operator::I64Add => ConstOp::I64(Arith::Add),
            Operator::I64Sub => ConstOp::I64(Arith::Sub),
            Operator::I64Mul => ConstOp::I64(Arith::Mul),
            single if ops.is_empty() => {
                let value = single_const(single)?;
                return match reader.read()? {
                    Operator::End => Ok(value),
                    other => Err(CompileError::Unsupported(format!("constant expression with {other:?}"))),
                };
            }
            other => return Err(CompileError::Unsupported(format!("constant expression with {other:?}"))),
        };
        ops.push(op);
    }
    Ok(match ops[..] {
        [ConstOp::I32Const(v)] => ConstExpr::I32(v),
        [ConstOp::I64Const(v)] => ConstExpr::I64(v),
        [ConstOp::GlobalGet(g)] => ConstExpr::GlobalGet(g),
        _ => ConstExpr::Extended(ops.into()),
    })
}

/// A constant expression's only instruction, of those that cannot take
/// part in extended-const arithmetic.
fn single_const(op: Operator<'_>) -> Result<ConstExpr, CompileError> {
    Ok(match op {
        Operator::F32Const { value } => ConstExpr::F32(value.bits()),
        Operator::F64Const { value } => ConstExpr::F64(value.bits()),
        Operator::V128Const { value } => ConstExpr::V128(value.i128() as u128),
        Operator::RefNull { hty } => ConstExpr::RefNull(ValType::reference(true, heap_type(hty)?.top())),
        Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
        other => return Err(CompileError::Unsupported(format!("constant expression {other:?}"))),
    })
}
