//! Memories, tables and globals created and used from Rust, and handle
//! checks across stores.

use wasmbeam_runtime::*;

fn mem_ty(min: u64, max: Option<u64>) -> MemoryType {
    MemoryType { limits: Limits { min, max }, memory64: false }
}

fn table_ty(element: ValType, min: u64, max: Option<u64>) -> TableType {
    TableType { element, limits: Limits { min, max }, table64: false }
}

#[test]
fn memory_grows_zeroed_up_to_its_maximum() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let memory = Memory::new(&mut store, mem_ty(1, Some(3))).unwrap();
    assert_eq!(memory.size(&store).unwrap(), 1);
    assert_eq!(memory.data(&store).unwrap().len(), 65536);
    memory.data_mut(&mut store).unwrap()[65535] = 0xab;
    assert_eq!(memory.grow(&mut store, 2).unwrap(), 1);
    assert_eq!(memory.size(&store).unwrap(), 3);
    let data = memory.data(&store).unwrap();
    assert_eq!(data.len(), 3 * 65536);
    assert_eq!(data[65535], 0xab, "contents survive growth");
    assert!(data[65536..].iter().all(|&b| b == 0), "new pages are zeroed");
    assert!(matches!(memory.grow(&mut store, 1), Err(Error::Limit(_))));
    assert_eq!(memory.size(&store).unwrap(), 3, "a failed grow changes nothing");
    assert_eq!(memory.grow(&mut store, 0).unwrap(), 3);
    assert_eq!(memory.ty(&store).unwrap(), mem_ty(3, Some(3)));
}

#[test]
fn memory_limits_come_from_the_config() {
    let engine = Engine::new(Config { max_memory_pages: 4, ..Config::default() }).unwrap();
    let mut store = Store::new(&engine);
    assert!(matches!(Memory::new(&mut store, mem_ty(5, None)), Err(Error::Limit(_))));
    // A larger declared maximum only caps growth at the configured limit.
    let memory = Memory::new(&mut store, mem_ty(0, Some(100))).unwrap();
    assert_eq!(memory.size(&store).unwrap(), 0);
    assert!(memory.data(&store).unwrap().is_empty());
    assert_eq!(memory.grow(&mut store, 4).unwrap(), 0);
    assert!(memory.grow(&mut store, 1).is_err());
    // Without a maximum, growth stops at 65536 pages, checked before allocating.
    let mut store = Store::new(&Engine::default());
    let memory = Memory::new(&mut store, mem_ty(0, None)).unwrap();
    assert!(memory.grow(&mut store, 65537).is_err());
    assert!(memory.grow(&mut store, u64::MAX).is_err());
    assert!(matches!(Memory::new(&mut store, mem_ty(2, Some(1))), Err(Error::BadArgument(_))));
}

#[test]
fn table_get_set_grow() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let table = Table::new(&mut store, table_ty(ValType::ExternRef, 2, Some(4)), Val::ExternRef(None)).unwrap();
    assert_eq!(table.size(&store).unwrap(), 2);
    assert_eq!(table.get(&store, 0).unwrap(), Val::ExternRef(None));
    let r = ExternRef::new(41).unwrap();
    table.set(&mut store, 1, Val::ExternRef(Some(r))).unwrap();
    assert_eq!(table.get(&store, 1).unwrap(), Val::ExternRef(Some(r)));
    assert!(matches!(table.get(&store, 2), Err(Error::BadArgument(_))), "out of bounds");
    assert!(matches!(table.set(&mut store, 2, Val::ExternRef(None)), Err(Error::BadArgument(_))));
    assert!(matches!(table.set(&mut store, 0, Val::I32(1)), Err(Error::BadArgument(_))));

    let r7 = ExternRef::new(7).unwrap();
    assert_eq!(table.grow(&mut store, 2, Val::ExternRef(Some(r7))).unwrap(), 2);
    assert_eq!(table.size(&store).unwrap(), 4);
    assert_eq!(table.get(&store, 1).unwrap(), Val::ExternRef(Some(r)), "growth keeps elements");
    assert_eq!(table.get(&store, 3).unwrap(), Val::ExternRef(Some(r7)));
    assert!(matches!(table.grow(&mut store, 1, Val::ExternRef(None)), Err(Error::Limit(_))));
    assert_eq!(table.ty(&store).unwrap(), table_ty(ValType::ExternRef, 4, Some(4)));
}

#[test]
fn funcref_tables_hold_functions() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let f = Func::new(&mut store, FuncType::new([], [ValType::I32]), |_, _, results| {
        results[0] = Val::I32(5);
        Ok(())
    });
    let table = Table::new(&mut store, table_ty(ValType::FuncRef, 1, None), Val::FuncRef(Some(f))).unwrap();
    assert_eq!(table.get(&store, 0).unwrap(), Val::FuncRef(Some(f)));
    let old = table.grow(&mut store, 3, Val::FuncRef(None)).unwrap();
    assert_eq!(old, 1);
    assert_eq!(table.get(&store, 3).unwrap(), Val::FuncRef(None));
    let Val::FuncRef(Some(g)) = table.get(&store, 0).unwrap() else { panic!("expected a function") };
    assert_eq!(g.call(&mut store, &[]).unwrap(), vec![Val::I32(5)]);
}

#[test]
fn table_limits() {
    let engine = Engine::new(Config { max_table_elements: 10, ..Config::default() }).unwrap();
    let mut store = Store::new(&engine);
    let too_big = Table::new(&mut store, table_ty(ValType::FuncRef, 11, None), Val::FuncRef(None));
    assert!(matches!(too_big, Err(Error::Limit(_))));
    // A declared maximum above the limit is accepted (spec modules declare
    // 0xffff_ffff) but growth stops at the limit.
    let table =
        Table::new(&mut store, table_ty(ValType::FuncRef, 0, Some(u32::MAX as u64)), Val::FuncRef(None)).unwrap();
    assert_eq!(table.grow(&mut store, 10, Val::FuncRef(None)).unwrap(), 0);
    assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
    let wrong_init = Table::new(&mut store, table_ty(ValType::FuncRef, 0, None), Val::ExternRef(None));
    assert!(matches!(wrong_init, Err(Error::BadArgument(_))));
}

#[test]
fn globals_check_mutability_and_type() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let constant = Global::new(&mut store, GlobalType { content: ValType::I64, mutable: false }, Val::I64(-3)).unwrap();
    assert_eq!(constant.get(&store).unwrap(), Val::I64(-3));
    assert!(matches!(constant.set(&mut store, Val::I64(1)), Err(Error::BadArgument(_))));
    assert_eq!(constant.get(&store).unwrap(), Val::I64(-3));

    let var = Global::new(&mut store, GlobalType { content: ValType::F32, mutable: true }, Val::from(1.5f32)).unwrap();
    var.set(&mut store, Val::from(-2.25f32)).unwrap();
    assert_eq!(var.get(&store).unwrap().f32(), Some(-2.25));
    assert!(matches!(var.set(&mut store, Val::F64(0)), Err(Error::BadArgument(_))));
    // NaN payloads are kept bit for bit.
    var.set(&mut store, Val::F32(0x7fa0_0001)).unwrap();
    assert_eq!(var.get(&store).unwrap(), Val::F32(0x7fa0_0001));
    assert_eq!(var.ty(&store).unwrap(), GlobalType { content: ValType::F32, mutable: true });

    let wrong = Global::new(&mut store, GlobalType { content: ValType::I32, mutable: false }, Val::I64(0));
    assert!(matches!(wrong, Err(Error::BadArgument(_))));
}

#[test]
fn handles_of_another_store_are_rejected() {
    let engine = Engine::default();
    let mut a = Store::new(&engine);
    let mut b = Store::new(&engine);
    let memory = Memory::new(&mut a, mem_ty(1, None)).unwrap();
    let global = Global::new(&mut a, GlobalType { content: ValType::I32, mutable: true }, Val::I32(1)).unwrap();
    let table = Table::new(&mut a, table_ty(ValType::FuncRef, 1, None), Val::FuncRef(None)).unwrap();
    let func = Func::new(&mut a, FuncType::new([], []), |_, _, _| Ok(()));
    // Make `b` hold one object of each kind, so index 0 exists there too.
    Memory::new(&mut b, mem_ty(2, None)).unwrap();
    Global::new(&mut b, GlobalType { content: ValType::I32, mutable: true }, Val::I32(9)).unwrap();
    Table::new(&mut b, table_ty(ValType::FuncRef, 1, None), Val::FuncRef(None)).unwrap();

    assert!(matches!(memory.grow(&mut b, 1), Err(Error::BadArgument(_))));
    assert!(matches!(memory.size(&b), Err(Error::BadArgument(_))));
    assert!(matches!(memory.data(&b), Err(Error::BadArgument(_))));
    assert!(matches!(memory.ty(&b), Err(Error::BadArgument(_))));
    assert!(matches!(global.set(&mut b, Val::I32(2)), Err(Error::BadArgument(_))));
    assert_eq!(global.get(&a).unwrap(), Val::I32(1));
    assert!(matches!(global.get(&b), Err(Error::BadArgument(_))));
    assert!(matches!(global.ty(&b), Err(Error::BadArgument(_))));
    assert!(matches!(table.get(&b, 0), Err(Error::BadArgument(_))));
    assert!(matches!(table.size(&b), Err(Error::BadArgument(_))));
    assert!(matches!(table.ty(&b), Err(Error::BadArgument(_))));
    assert!(matches!(func.ty(&b), Err(Error::BadArgument(_))));
    assert!(matches!(func.call(&mut b, &[]), Err(Error::BadArgument(_))));
    // A function of store `a` cannot go into a table of store `b`.
    let other = Table::new(&mut b, table_ty(ValType::FuncRef, 1, None), Val::FuncRef(None)).unwrap();
    assert!(matches!(other.set(&mut b, 0, Val::FuncRef(Some(func))), Err(Error::BadArgument(_))));
    assert!(matches!(Extern::Func(func).ty(&b), Err(Error::BadArgument(_))));
    assert!(Extern::Func(func).ty(&a).is_ok());
}

#[test]
fn host_functions_called_from_rust() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let add =
        Func::new(&mut store, FuncType::new([ValType::I32, ValType::I32], [ValType::I32]), |caller, args, results| {
            assert!(caller.instance().is_none());
            results[0] = Val::I32(args[0].i32().unwrap().wrapping_add(args[1].i32().unwrap()));
            Ok(())
        });
    assert_eq!(add.call(&mut store, &[Val::I32(2), Val::I32(40)]).unwrap(), vec![Val::I32(42)]);
    assert!(matches!(add.call(&mut store, &[Val::I32(2)]), Err(Error::BadArgument(_))));
    assert!(matches!(add.call(&mut store, &[Val::I32(2), Val::I64(1)]), Err(Error::BadArgument(_))));

    let bad_result = Func::new(&mut store, FuncType::new([], [ValType::I64]), |_, _, results| {
        results[0] = Val::I32(1);
        Ok(())
    });
    let Err(Error::Trap(trap)) = bad_result.call(&mut store, &[]) else { panic!("expected a trap") };
    assert_eq!(trap.code, TrapCode::HostError);

    let panics = Func::new(&mut store, FuncType::new([], []), |_, _, _| panic!("boom"));
    let Err(Error::Trap(trap)) = panics.call(&mut store, &[]) else { panic!("expected a trap") };
    assert!(trap.message.contains("host function panicked: boom"), "{}", trap.message);
    assert_eq!(add.ty(&store).unwrap(), FuncType::new([ValType::I32, ValType::I32], [ValType::I32]));
}

#[test]
fn extern_refs_reserve_the_top_payload() {
    assert!(ExternRef::new(u64::MAX).is_none());
    assert_eq!(ExternRef::new(u64::MAX - 1).unwrap().payload(), u64::MAX - 1);
    assert_eq!(ExternRef::new(0).unwrap().payload(), 0);
    assert_eq!(Val::default_for(ValType::FuncRef), Val::FuncRef(None));
    assert_eq!(Val::default_for(ValType::F64).ty(), ValType::F64);
}
