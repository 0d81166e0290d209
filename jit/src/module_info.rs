//! What a validated module declares, in owned form: everything the
//! translator and the runtime need, nothing borrowed from the input bytes
//! except function bodies (kept as byte ranges).

use std::ops::Range;

/// A WebAssembly 2.0 scalar value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    FuncRef,
    ExternRef,
}

impl ValType {
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A function signature. Structural: two equal `FuncType`s are the same type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    pub params: Box<[ValType]>,
    pub results: Box<[ValType]>,
}

impl FuncType {
    pub fn new(params: impl Into<Box<[ValType]>>, results: impl Into<Box<[ValType]>>) -> Self {
        FuncType { params: params.into(), results: results.into() }
    }
}

impl std::fmt::Display for FuncType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "(func (param {}) (result {}))", list(&self.params), list(&self.results))
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// In 64 KiB pages.
    pub limits: Limits,
    /// Indexed by `i64` addresses (memory64), rather than `i32`.
    pub memory64: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    pub element: ValType,
    pub limits: Limits,
    /// Indexed by `i64` (memory64's 64-bit tables), rather than `i32`.
    pub table64: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    pub content: ValType,
    pub mutable: bool,
}

/// A constant expression (global, table and segment initializers, segment
/// offsets): a single instruction, or, with extended-const, integer
/// arithmetic over constants and globals.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstExpr {
    I32(i32),
    I64(i64),
    /// Bit pattern.
    F32(u32),
    /// Bit pattern.
    F64(u64),
    RefNull(ValType),
    RefFunc(u32),
    GlobalGet(u32),
    /// An extended constant expression, in the order its instructions run
    /// on a value stack (the validator has checked it is well typed and
    /// leaves one value).
    Extended(Box<[ConstOp]>),
}

/// One instruction of an extended constant expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstOp {
    I32Const(i32),
    I64Const(i64),
    GlobalGet(u32),
    /// `i32.add`, `i32.sub` or `i32.mul` (wrapping) of the top two values.
    I32(Arith),
    /// `i64.add`, `i64.sub` or `i64.mul` (wrapping) of the top two values.
    I64(Arith),
}

/// The arithmetic extended constant expressions allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportKind {
    /// Index into [`ModuleInfo::types`].
    Func(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Func,
    Table,
    Memory,
    Global,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub name: String,
    pub kind: ExportKind,
    pub index: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ElementMode {
    Passive,
    Active { table: u32, offset: ConstExpr },
    Declared,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ElementSegment {
    pub element: ValType,
    pub mode: ElementMode,
    /// Each item is `RefFunc`, `RefNull` or `GlobalGet`.
    pub items: Vec<ConstExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSegment {
    pub mode: DataMode,
    pub bytes: Vec<u8>,
}

/// A global defined by the module.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalDef {
    pub ty: GlobalType,
    pub init: ConstExpr,
}

/// A table defined by the module.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub ty: TableType,
    /// `None`: every element starts null.
    pub init: Option<ConstExpr>,
}

/// A validated module's declarations. Index spaces (functions, tables,
/// memories, globals) count imports first, as in the binary format.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    pub types: Vec<FuncType>,
    pub imports: Vec<Import>,
    /// Type index of every function, imported ones first.
    pub functions: Vec<u32>,
    pub num_imported_functions: u32,
    /// Type of every table, imported ones first.
    pub tables: Vec<TableType>,
    pub num_imported_tables: u32,
    /// Initializers of the defined tables (index `num_imported_tables + i`).
    pub table_inits: Vec<Option<ConstExpr>>,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    /// Type of every global, imported ones first.
    pub globals: Vec<GlobalType>,
    pub num_imported_globals: u32,
    /// Initializers of the defined globals (index `num_imported_globals + i`).
    pub global_inits: Vec<ConstExpr>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elements: Vec<ElementSegment>,
    pub data: Vec<DataSegment>,
    /// Byte range of each defined function's body in the module's bytes.
    pub bodies: Vec<Range<usize>>,
}

impl ModuleInfo {
    pub fn func_type(&self, func_index: u32) -> &FuncType {
        &self.types[self.functions[func_index as usize] as usize]
    }

    pub fn num_defined_functions(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_functions
    }

    pub fn is_imported_function(&self, func_index: u32) -> bool {
        func_index < self.num_imported_functions
    }

    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// The vmctx layout of an instance of this module.
    pub fn vm_offsets(&self) -> crate::vm::VMOffsets {
        crate::vm::VMOffsets {
            num_funcs: self.functions.len() as u32,
            num_memories: self.memories.len() as u32,
            num_tables: self.tables.len() as u32,
            num_globals: self.globals.len() as u32,
        }
    }
}
