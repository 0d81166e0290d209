//! Typed function references through the embedding API: values are
//! checked against reference types that are not nullable or name a
//! function type, and imports match by subtyping where the proposal says.

use wasmbeam_runtime::*;

const WAT: &str = r#"
(module
  (type $unary (func (param i32) (result i32)))
  (type $nullary (func (result i32)))
  (func $double (export "double") (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $seven (export "seven") (type $nullary) (i32.const 7))
  (elem declare func $double)
  (global (export "fixed") (ref $unary) (ref.func $double))
  (func (export "apply") (param $f (ref $unary)) (param i32) (result i32)
    (call_ref $unary (local.get 1) (local.get $f)))
  (func (export "apply_or") (param $f (ref null $unary)) (param i32) (result i32)
    (block $null
      (local.get 1)
      (local.get $f)
      (br_on_null $null)
      (return (call_ref $unary)))
    (i32.const -1)))
"#;

fn setup() -> (Store, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    (store, instance)
}

#[test]
fn arguments_are_checked_against_typed_reference_parameters() {
    let (mut store, instance) = setup();
    let apply = instance.get_func(&store, "apply").unwrap();
    let apply_or = instance.get_func(&store, "apply_or").unwrap();
    let double = instance.get_func(&store, "double").unwrap();
    let seven = instance.get_func(&store, "seven").unwrap();
    let call = |store: &mut Store, f: Func, r: Option<Func>| f.call(store, &[Val::FuncRef(r), Val::I32(21)]);
    assert_eq!(call(&mut store, apply, Some(double)).unwrap(), [Val::I32(42)]);
    assert_eq!(call(&mut store, apply_or, Some(double)).unwrap(), [Val::I32(42)]);
    assert_eq!(call(&mut store, apply_or, None).unwrap(), [Val::I32(-1)]);
    // Null where the type is not nullable, and a function of another type:
    // refused before anything runs.
    for (f, wrong) in [(apply, None), (apply, Some(seven)), (apply_or, Some(seven))] {
        let error = call(&mut store, f, wrong).unwrap_err();
        assert!(matches!(error, Error::BadArgument(_)), "{wrong:?}: {error}");
    }
}

#[test]
fn globals_of_typed_references_refuse_what_their_type_does_not_hold() {
    let (mut store, instance) = setup();
    let fixed = instance.get_global(&store, "fixed").unwrap();
    let ty = fixed.ty(&store).unwrap();
    assert!(!ty.content.is_nullable(), "{}", ty.content);
    let double = instance.get_func(&store, "double").unwrap();
    assert_eq!(fixed.get(&store).unwrap(), Val::FuncRef(Some(double)));
    let error = Global::new(&mut store, ty, Val::FuncRef(None)).unwrap_err();
    assert!(matches!(error, Error::BadArgument(_)), "{error}");
    let seven = instance.get_func(&store, "seven").unwrap();
    let error = Global::new(&mut store, ty, Val::FuncRef(Some(seven))).unwrap_err();
    assert!(matches!(error, Error::BadArgument(_)), "{error}");
    Global::new(&mut store, ty, Val::FuncRef(Some(double))).unwrap();
}

#[test]
fn an_immutable_global_import_takes_a_subtype_and_a_mutable_one_only_its_type() {
    let engine = Engine::default();
    let exporter = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &exporter).unwrap();
    let mut linker = Linker::new();
    linker.define_instance(&store, "m", instance);
    let importer = |global: &str| {
        format!(r#"(module (type $unary (func (param i32) (result i32))) (import "m" "fixed" (global {global})))"#)
    };
    for (global, links) in [
        ("(ref $unary)", true),
        ("(ref null $unary)", true),
        ("funcref", true),
        ("(ref func)", true),
        ("(mut funcref)", false),
        ("externref", false),
    ] {
        let module = Module::new(&engine, &wat::parse_str(importer(global)).unwrap()).unwrap();
        let outcome = linker.instantiate(&mut store, &module);
        assert_eq!(outcome.is_ok(), links, "{global}: {:?}", outcome.err());
        if let Err(error) = outcome {
            assert!(matches!(error, Error::Link(_)), "{global}: {error}");
        }
    }
}
