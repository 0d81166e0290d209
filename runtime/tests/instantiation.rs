//! Linking and instantiation: import resolution and matching, segment
//! initialization and its traps, start functions, engines and targets.

use wasmbeam_runtime::*;

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

fn link_error(result: Result<Instance, Error>) -> String {
    match result {
        Err(Error::Link(message)) => message,
        other => panic!("expected a link error, got {other:?}"),
    }
}

#[test]
fn a_module_without_functions_exports_memory_and_globals() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (memory (export "mem") 2 5)
            (global (export "g") i64 (i64.const -7))
            (global (export "h") (mut f64) (f64.const 2.5))
            (table (export "t") 3 funcref)
            (data (i32.const 65535) "\01\02"))"#,
    );
    let names: Vec<_> = m.exports().map(|(name, ty)| (name.to_string(), ty.kind_name())).collect();
    assert_eq!(
        names,
        [("mem".into(), "memory"), ("g".into(), "global"), ("h".into(), "global"), ("t".into(), "table")]
    );
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &m).unwrap();
    let memory = instance.get_memory(&store, "mem").unwrap();
    assert_eq!(memory.size(&store).unwrap(), 2);
    assert_eq!(&memory.data(&store).unwrap()[65534..65538], &[0, 1, 2, 0]);
    assert_eq!(memory.ty(&store).unwrap(), MemoryType { limits: Limits { min: 2, max: Some(5) }, memory64: false });
    assert_eq!(instance.get_global(&store, "g").unwrap().get(&store).unwrap(), Val::I64(-7));
    let h = instance.get_global(&store, "h").unwrap();
    assert_eq!(h.get(&store).unwrap().f64(), Some(2.5));
    h.set(&mut store, Val::from(1.0f64)).unwrap();
    assert_eq!(h.get(&store).unwrap().f64(), Some(1.0));
    assert_eq!(instance.get_table(&store, "t").unwrap().size(&store).unwrap(), 3);
    assert!(instance.get_func(&store, "mem").is_none(), "wrong kind");
    assert!(instance.get_export(&store, "nope").is_none());
    assert_eq!(instance.exports(&store).count(), 4);
}

#[test]
fn unknown_and_incompatible_imports() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let m = module(&engine, r#"(module (import "env" "f" (func (param i32))))"#);
    let message = link_error(Linker::new().instantiate(&mut store, &m));
    assert!(message.contains("unknown import") && message.contains("`env` `f`"), "{message}");

    let mut linker = Linker::new();
    let wrong = Func::new(&mut store, FuncType::new([ValType::I64], []), |_, _, _| Ok(()));
    linker.define("env", "f", wrong);
    let message = link_error(linker.instantiate(&mut store, &m));
    assert!(message.starts_with("incompatible import type for `env` `f`"), "{message}");
    let memory = Memory::new(&mut store, MemoryType { limits: Limits { min: 1, max: None }, memory64: false }).unwrap();
    linker.define("env", "f", memory);
    assert!(link_error(linker.instantiate(&mut store, &m)).contains("incompatible import type"));
    let right = Func::new(&mut store, FuncType::new([ValType::I32], []), |_, _, _| Ok(()));
    linker.define("env", "f", right);
    linker.instantiate(&mut store, &m).unwrap();
}

#[test]
fn memory_and_table_imports_follow_limit_subtyping() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let needs = module(&engine, r#"(module (import "env" "m" (memory 2 4)) (import "env" "t" (table 1 funcref)))"#);
    let table = Table::new(
        &mut store,
        TableType { element: ValType::FuncRef, limits: Limits { min: 1, max: None }, table64: false },
        Val::FuncRef(None),
    )
    .unwrap();
    let mut linker = Linker::new();
    linker.define("env", "t", table);
    let try_memory = |store: &mut Store, linker: &mut Linker, min, max| {
        let memory = Memory::new(store, MemoryType { limits: Limits { min, max }, memory64: false }).unwrap();
        linker.define("env", "m", memory);
        linker.instantiate(store, &needs)
    };
    assert!(link_error(try_memory(&mut store, &mut linker, 1, Some(4))).contains("incompatible import type"));
    assert!(link_error(try_memory(&mut store, &mut linker, 2, None)).contains("incompatible import type"));
    assert!(link_error(try_memory(&mut store, &mut linker, 2, Some(5))).contains("incompatible import type"));
    try_memory(&mut store, &mut linker, 3, Some(4)).unwrap();
    try_memory(&mut store, &mut linker, 2, Some(2)).unwrap();
    // The current size counts, not the declared minimum.
    let memory =
        Memory::new(&mut store, MemoryType { limits: Limits { min: 1, max: Some(4) }, memory64: false }).unwrap();
    memory.grow(&mut store, 1).unwrap();
    linker.define("env", "m", memory);
    linker.instantiate(&mut store, &needs).unwrap();

    let externs = Table::new(
        &mut store,
        TableType { element: ValType::ExternRef, limits: Limits { min: 1, max: None }, table64: false },
        Val::ExternRef(None),
    )
    .unwrap();
    linker.define("env", "t", externs);
    assert!(link_error(linker.instantiate(&mut store, &needs)).contains("incompatible import type"));
}

#[test]
fn global_imports_need_equal_types() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let m = module(&engine, r#"(module (import "env" "g" (global (mut i32))))"#);
    let mut linker = Linker::new();
    let immutable = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: false }, Val::I32(0)).unwrap();
    linker.define("env", "g", immutable);
    assert!(link_error(linker.instantiate(&mut store, &m)).contains("incompatible import type"));
    let wrong_type = Global::new(&mut store, GlobalType { content: ValType::I64, mutable: true }, Val::I64(0)).unwrap();
    linker.define("env", "g", wrong_type);
    assert!(link_error(linker.instantiate(&mut store, &m)).contains("incompatible import type"));
    let right = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: true }, Val::I32(0)).unwrap();
    linker.define("env", "g", right);
    linker.instantiate(&mut store, &m).unwrap();
}

#[test]
fn imports_from_another_store_are_rejected() {
    let engine = Engine::default();
    let mut a = Store::new(&engine);
    let mut b = Store::new(&engine);
    let m = module(&engine, r#"(module (import "env" "m" (memory 1)))"#);
    let memory = Memory::new(&mut a, MemoryType { limits: Limits { min: 1, max: None }, memory64: false }).unwrap();
    let mut linker = Linker::new();
    linker.define("env", "m", memory);
    assert!(matches!(linker.instantiate(&mut b, &m), Err(Error::BadArgument(_))));
    linker.instantiate(&mut a, &m).unwrap();
}

#[test]
fn data_segment_out_of_bounds_traps_after_earlier_segments() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let memory = Memory::new(&mut store, MemoryType { limits: Limits { min: 1, max: None }, memory64: false }).unwrap();
    let mut linker = Linker::new();
    linker.define("env", "m", memory);
    let m = module(
        &engine,
        r#"(module (import "env" "m" (memory 1))
            (data (i32.const 10) "ab")
            (data (i32.const 65535) "cd")
            (data (i32.const 20) "ef"))"#,
    );
    match linker.instantiate(&mut store, &m) {
        Err(Error::Trap(trap)) => {
            assert_eq!(trap.code, TrapCode::MemoryOutOfBounds);
            assert_eq!(trap.to_string(), "out of bounds memory access");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    let data = memory.data(&store).unwrap();
    assert_eq!(&data[10..12], b"ab", "the first segment was written");
    assert_eq!(data[65535], 0, "the failing segment wrote nothing");
    assert_eq!(&data[20..22], &[0, 0], "later segments were not applied");

    // A zero-length segment exactly at the end is fine; one past it is not.
    let edge = module(&engine, r#"(module (import "env" "m" (memory 1)) (data (i32.const 65536) ""))"#);
    linker.instantiate(&mut store, &edge).unwrap();
    let past = module(&engine, r#"(module (import "env" "m" (memory 1)) (data (i32.const 65537) ""))"#);
    assert!(matches!(linker.instantiate(&mut store, &past), Err(Error::Trap(_))));
}

#[test]
fn element_segment_out_of_bounds_traps_after_earlier_segments() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let table = Table::new(
        &mut store,
        TableType { element: ValType::FuncRef, limits: Limits { min: 4, max: None }, table64: false },
        Val::FuncRef(None),
    )
    .unwrap();
    let mut linker = Linker::new();
    linker.define("env", "t", table);
    let m = module(
        &engine,
        r#"(module (import "env" "t" (table 4 funcref))
            (func $f (result i32) (i32.const 1))
            (elem (i32.const 0) $f $f)
            (elem (i32.const 3) $f $f)
            (elem (i32.const 2) $f))"#,
    );
    match linker.instantiate(&mut store, &m) {
        Err(Error::Trap(trap)) => assert_eq!(trap.code, TrapCode::TableOutOfBounds),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert!(matches!(table.get(&store, 0), Ok(Val::FuncRef(Some(_)))));
    assert!(matches!(table.get(&store, 1), Ok(Val::FuncRef(Some(_)))));
    assert_eq!(table.get(&store, 2).unwrap(), Val::FuncRef(None), "later segments were not applied");
    assert_eq!(table.get(&store, 3).unwrap(), Val::FuncRef(None), "the failing segment wrote nothing");
    // The function written by the failed instantiation still works.
    let Val::FuncRef(Some(f)) = table.get(&store, 0).unwrap() else { unreachable!() };
    assert_eq!(f.call(&mut store, &[]).unwrap(), vec![Val::I32(1)]);
}

#[test]
fn start_function_runs_and_its_trap_fails_instantiation() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let m = module(
        &engine,
        r#"(module (global $g (export "g") (mut i32) (i32.const 1))
            (func $start (global.set $g (i32.const 42)))
            (start $start))"#,
    );
    let instance = Linker::new().instantiate(&mut store, &m).unwrap();
    assert_eq!(instance.get_global(&store, "g").unwrap().get(&store).unwrap(), Val::I32(42));

    let memory = Memory::new(&mut store, MemoryType { limits: Limits { min: 1, max: None }, memory64: false }).unwrap();
    let mut linker = Linker::new();
    linker.define("env", "m", memory);
    let trapping = module(
        &engine,
        r#"(module (import "env" "m" (memory 1))
            (data (i32.const 0) "x")
            (func $start (i32.store8 (i32.const 1) (i32.const 121)) unreachable)
            (start $start))"#,
    );
    match linker.instantiate(&mut store, &trapping) {
        Err(Error::Trap(trap)) => assert_eq!(trap.code, TrapCode::Unreachable),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(&memory.data(&store).unwrap()[..2], b"xy", "segment and start-function writes persist");
}

#[test]
fn start_function_may_be_an_imported_host_function() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let counter = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: true }, Val::I32(0)).unwrap();
    let start = Func::new(&mut store, FuncType::new([], []), move |caller, _, _| {
        let store = caller.store();
        let n = counter.get(store)?.i32().unwrap_or(0);
        counter.set(store, Val::I32(n + 1))
    });
    let mut linker = Linker::new();
    linker.define("env", "start", start);
    let m = module(&engine, r#"(module (import "env" "start" (func $s)) (start $s))"#);
    linker.instantiate(&mut store, &m).unwrap();
    linker.instantiate(&mut store, &m).unwrap();
    assert_eq!(counter.get(&store).unwrap(), Val::I32(2));
}

#[test]
fn modules_for_another_target_compile_but_do_not_instantiate() {
    let engine = Engine::new(Config { target: Target::foreign(), ..Config::default() }).unwrap();
    assert!(!engine.is_executable());
    let m = module(&engine, r#"(module (func (export "f") (result i32) (i32.const 1)) (memory 1))"#);
    assert!(m.code_size() > 0);
    {
        let mut store = Store::new(&engine);
        match Linker::new().instantiate(&mut store, &m) {
            Err(Error::BadArgument(message)) => assert!(message.contains("another target"), "{message}"),
            other => panic!("expected an error, got {other:?}"),
        }
        // Host functions still work when called from Rust.
        let f = Func::new(&mut store, FuncType::new([], [ValType::I32]), |_, _, r| {
            r[0] = Val::I32(3);
            Ok(())
        });
        assert_eq!(f.call(&mut store, &[]).unwrap(), vec![Val::I32(3)]);
    }
}

#[test]
fn modules_belong_to_their_engine() {
    let a = Engine::default();
    let b = Engine::default();
    let m = module(&a, r#"(module)"#);
    let mut store = Store::new(&b);
    assert!(matches!(Linker::new().instantiate(&mut store, &m), Err(Error::BadArgument(_))));
    assert!(matches!(Module::new(&a, b"(module)"), Err(Error::Compile(_))), "text is not accepted");
}

#[test]
fn module_reports_imports_and_exports() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "a" "f" (func (param i32) (result i64)))
            (import "a" "t" (table 1 2 externref))
            (import "b" "g" (global (mut f32)))
            (func (export "h") (param i64))
            (export "f2" (func 0)))"#,
    );
    let imports: Vec<_> = m.imports().map(|(m, n, ty)| format!("{m}.{n}: {ty}")).collect();
    assert_eq!(
        imports,
        ["a.f: (func (param i32) (result i64))", "a.t: (table 1 2 externref)", "b.g: (global (mut f32))"]
    );
    let exports: Vec<_> = m.exports().map(|(n, ty)| format!("{n}: {ty}")).collect();
    assert_eq!(exports, ["h: (func (param i64) (result ))", "f2: (func (param i32) (result i64))"]);
}
