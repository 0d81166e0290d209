//! The `spectest` module every spec script may import from, defined as the
//! reference interpreter defines it (`interpreter/host/spectest.ml`).

use wasmbeam_runtime::{
    Extern, Func, FuncType, Global, GlobalType, Limits, Linker, Memory, MemoryType, Store, Table, TableType, Val,
    ValType,
};

/// Creates the spectest items in `store` and defines them in `linker` under
/// the module name `spectest`:
/// - functions `print`, `print_i32`, `print_i64`, `print_f32`, `print_f64`,
///   `print_i32_f32`, `print_f64_f64`, which print nothing (scripts only
///   check that calling them works);
/// - immutable globals `global_i32` = 666, `global_i64` = 666,
///   `global_f32` = 666.6, `global_f64` = 666.6;
/// - `table`: `(table 10 20 funcref)`, all null;
/// - `memory`: `(memory 1 2)`, zeroed.
pub(crate) fn define(store: &mut Store, linker: &mut Linker) -> Result<(), wasmbeam_runtime::Error> {
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let func = Func::new(store, FuncType::new(params, Vec::new()), |_caller, _params, _results| Ok(()));
        linker.define("spectest", name, Extern::Func(func));
    }

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::F32(666.6f32.to_bits())),
        ("global_f64", Val::F64(666.6f64.to_bits())),
    ];
    for (name, val) in globals {
        let global = Global::new(store, GlobalType { content: val.ty(), mutable: false }, val)?;
        linker.define("spectest", name, Extern::Global(global));
    }

    let table_ty = TableType { element: ValType::FuncRef, limits: Limits { min: 10, max: Some(20) }, table64: false };
    let table = Table::new(store, table_ty, Val::FuncRef(None))?;
    linker.define("spectest", "table", Extern::Table(table));

    let memory = Memory::new(store, MemoryType { limits: Limits { min: 1, max: Some(2) }, memory64: false })?;
    linker.define("spectest", "memory", Extern::Memory(memory));
    Ok(())
}
