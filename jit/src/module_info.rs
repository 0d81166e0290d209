//! What a validated module declares, in owned form: everything the
//! translator and the runtime need, nothing borrowed from the input bytes
//! except function bodies (kept as byte ranges).

use std::ops::Range;

/// A value type.
///
/// The nullable abstract reference types, `funcref`, `externref` and
/// `exnref`, are variants of their own; every other reference type (not
/// nullable, or of a concrete function type or a bottom type, from typed
/// function references) is a [`ValType::Ref`]. [`ValType::reference`]
/// keeps to that, so each type has one form and `==` is type equality
/// (concrete types compared by index: module-relative in a module's
/// [`ModuleInfo`], engine-wide once the runtime has canonicalized them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    /// A 128-bit vector (SIMD): two words wherever values are kept in
    /// 8-byte words (see [`ValType::words`]).
    V128,
    FuncRef,
    ExternRef,
    /// A caught exception (exception handling): a pointer to the
    /// store-owned exception object (see [`crate::vm::VMException`]), or
    /// null.
    ExnRef,
    /// Any other reference type; never nullable with an abstract top heap
    /// type (those are the variants above).
    Ref(RefType),
}

/// A reference type: what it points at, and whether it may be null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

/// What a reference points at (typed function references, without GC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapType {
    Func,
    Extern,
    Exn,
    /// The bottom of the function types: only null has it.
    NoFunc,
    NoExtern,
    NoExn,
    /// A function of the function type with this index.
    Concrete(u32),
}

impl HeapType {
    /// The top type of this heap type's hierarchy.
    pub fn top(self) -> HeapType {
        match self {
            HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_) => HeapType::Func,
            HeapType::Extern | HeapType::NoExtern => HeapType::Extern,
            HeapType::Exn | HeapType::NoExn => HeapType::Exn,
        }
    }

    /// Heap subtyping (no declared subtypes: concrete types match only
    /// themselves).
    pub fn is_subtype_of(self, other: HeapType) -> bool {
        self == other
            || matches!(
                (self, other),
                (HeapType::NoFunc, HeapType::Func | HeapType::Concrete(_))
                    | (HeapType::Concrete(_), HeapType::Func)
                    | (HeapType::NoExtern, HeapType::Extern)
                    | (HeapType::NoExn, HeapType::Exn)
            )
    }
}

impl ValType {
    /// The reference type `(ref null? heap)`, in its one form.
    pub fn reference(nullable: bool, heap: HeapType) -> ValType {
        match (nullable, heap) {
            (true, HeapType::Func) => ValType::FuncRef,
            (true, HeapType::Extern) => ValType::ExternRef,
            (true, HeapType::Exn) => ValType::ExnRef,
            _ => ValType::Ref(RefType { nullable, heap }),
        }
    }

    /// The reference type this is, if it is one.
    pub fn ref_type(self) -> Option<RefType> {
        match self {
            ValType::FuncRef => Some(RefType { nullable: true, heap: HeapType::Func }),
            ValType::ExternRef => Some(RefType { nullable: true, heap: HeapType::Extern }),
            ValType::ExnRef => Some(RefType { nullable: true, heap: HeapType::Exn }),
            ValType::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// How many 8-byte words a value of this type takes where values are
    /// kept in words (argument and result arrays, continuation records,
    /// record areas, exception payloads): two for a `v128` (its low half
    /// first, each half little-endian), one for every other type.
    pub fn words(self) -> usize {
        match self {
            ValType::V128 => 2,
            _ => 1,
        }
    }

    pub fn is_ref(self) -> bool {
        self.ref_type().is_some()
    }

    /// How a value of this type is represented: itself for numbers; for a
    /// reference, the nullable top type of its hierarchy (`funcref`,
    /// `externref` or `exnref`), whose values all look alike to compiled
    /// code and the runtime.
    pub fn repr(self) -> ValType {
        match self {
            ValType::Ref(r) => ValType::reference(true, r.heap.top()),
            other => other,
        }
    }

    /// Whether this may be null (a nullable reference type).
    pub fn is_nullable(self) -> bool {
        self.ref_type().is_some_and(|r| r.nullable)
    }

    /// Value subtyping: whether every value of `self` is a value of `other`.
    pub fn is_subtype_of(self, other: ValType) -> bool {
        if self == other {
            return true;
        }
        match (self.ref_type(), other.ref_type()) {
            (Some(a), Some(b)) => (!a.nullable || b.nullable) && a.heap.is_subtype_of(b.heap),
            _ => false,
        }
    }

    /// This type with each concrete type index `i` replaced by `map(i)`.
    pub fn map_concrete(self, map: impl Fn(u32) -> u32) -> ValType {
        match self {
            ValType::Ref(RefType { nullable, heap: HeapType::Concrete(i) }) => {
                ValType::Ref(RefType { nullable, heap: HeapType::Concrete(map(i)) })
            }
            other => other,
        }
    }
}

impl std::fmt::Display for HeapType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::Exn => f.write_str("exn"),
            HeapType::NoFunc => f.write_str("nofunc"),
            HeapType::NoExtern => f.write_str("noextern"),
            HeapType::NoExn => f.write_str("noexn"),
            HeapType::Concrete(i) => write!(f, "{i}"),
        }
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::ExnRef => "exnref",
            ValType::Ref(RefType { nullable: true, heap }) => return write!(f, "(ref null {heap})"),
            ValType::Ref(RefType { nullable: false, heap }) => return write!(f, "(ref {heap})"),
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

    /// This type with each concrete type index `i` in it replaced by `map(i)`.
    pub fn map_concrete(&self, map: impl Fn(u32) -> u32) -> FuncType {
        FuncType {
            params: self.params.iter().map(|t| t.map_concrete(&map)).collect(),
            results: self.results.iter().map(|t| t.map_concrete(&map)).collect(),
        }
    }

    /// The highest concrete type index it refers to, if any.
    pub fn max_concrete(&self) -> Option<u32> {
        self.params
            .iter()
            .chain(self.results.iter())
            .filter_map(|t| match t.ref_type()?.heap {
                HeapType::Concrete(i) => Some(i),
                _ => None,
            })
            .max()
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
    /// `v128.const`: the 16 bytes as a little-endian number.
    V128(u128),
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
    /// An exception tag; index into [`ModuleInfo::types`] (a function type
    /// without results: the tag's payload).
    Tag(u32),
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
    Tag,
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
    /// Type index of every tag (exception handling), imported ones first.
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
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

    /// The payload types of tag `tag`.
    pub fn tag_params(&self, tag: u32) -> &[ValType] {
        &self.types[self.tags[tag as usize] as usize].params
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
            num_tags: self.tags.len() as u32,
        }
    }
}
