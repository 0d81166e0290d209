//! Serialized modules (`Module::serialize` / `Module::deserialize`): they
//! run as the compiled module does, in another engine too, and every
//! damaged, truncated or mismatched byte string is refused with an error.

use wasmbeam_runtime::*;

/// Direct calls, a call through a table (a type id the linker writes into
/// the code), a loop (resume points), rounding (a helper call on CPUs
/// without the instruction), data in memory.
const WAT: &str = r#"(module
    (type $unop (func (param i64) (result i64)))
    (memory 1)
    (data (i32.const 16) "\2a")
    (table 2 funcref)
    (elem (i32.const 0) $square $twice)
    (func $square (type $unop) (i64.mul (local.get 0) (local.get 0)))
    (func $twice (type $unop) (i64.add (local.get 0) (local.get 0)))
    (func (export "apply") (param i32 i64) (result i64)
        (call_indirect (type $unop) (local.get 1) (local.get 0)))
    (func (export "sum_to") (param i64) (result i64) (local $acc i64)
        (loop $l
            (local.set $acc (i64.add (local.get $acc) (call $twice (local.get 0))))
            (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
            (br_if $l (i64.gt_s (local.get 0) (i64.const 0))))
        (local.get $acc))
    (func (export "round") (param f64) (result f64) (f64.nearest (local.get 0)))
    (func (export "peek") (result i32) (i32.load8_u (i32.const 16))))"#;

fn compiled(engine: &Engine) -> Module {
    Module::new(engine, &wat::parse_str(WAT).expect("valid text")).expect("compiles")
}

fn load(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
    // SAFETY: every byte string here is one `Module::serialize` wrote,
    // possibly damaged on purpose: what is under test is that loading
    // refuses the damage before running anything.
    unsafe { Module::deserialize(engine, bytes) }
}

fn call(module: &Module, name: &str, args: &[Val]) -> Vec<Val> {
    let mut store = Store::new(module.engine());
    let instance = Linker::new().instantiate(&mut store, module).expect("instantiates");
    instance.get_func(&store, name).expect("exported").call(&mut store, args).expect("runs")
}

fn refusal(result: Result<Module, Error>) -> String {
    match result {
        Err(Error::BadArgument(message)) => message,
        Err(other) => panic!("expected a refusal, got {other:?}"),
        Ok(_) => panic!("expected a refusal, got a module"),
    }
}

/// The runs every loaded module must reproduce.
fn check_runs(module: &Module) {
    assert_eq!(call(module, "apply", &[Val::I32(0), Val::I64(7)]), [Val::I64(49)]);
    assert_eq!(call(module, "apply", &[Val::I32(1), Val::I64(7)]), [Val::I64(14)]);
    assert_eq!(call(module, "sum_to", &[Val::I64(100)]), [Val::I64(10100)]);
    assert_eq!(call(module, "round", &[Val::F64(2.5f64.to_bits())]), [Val::F64(2.0f64.to_bits())]);
    assert_eq!(call(module, "peek", &[]), [Val::I32(42)]);
}

#[test]
fn a_serialized_module_runs_in_its_engine_and_in_a_new_one() {
    let engine = Engine::default();
    let module = compiled(&engine);
    let bytes = module.serialize().expect("serializes");
    check_runs(&load(&engine, &bytes).expect("loads"));
    // Another engine numbers types otherwise: register unrelated types
    // first, so the loaded code's `call_indirect` must be linked anew.
    let other = Engine::default();
    Module::new(
        &other,
        &wat::parse_str("(module (func (param f32 f32 f32)) (func (result f64) (f64.const 0)))").unwrap(),
    )
    .unwrap();
    let loaded = load(&other, &bytes).expect("loads");
    check_runs(&loaded);
    assert_eq!(loaded.code_size(), module.code_size());
    assert_eq!(loaded.wasm(), module.wasm());
    // Serializing what was loaded gives the same bytes, whatever the
    // engine's type ids and the code's address.
    assert!(loaded.serialize().expect("serializes") == bytes);
    assert!(compiled(&other).serialize().expect("serializes") == bytes);
}

#[test]
fn a_bad_call_indirect_type_still_traps_after_loading() {
    let wat = r#"(module (type $t (func (result i32))) (table 1 funcref) (elem (i32.const 0) $f)
        (func $f (param i32) (result i32) (local.get 0))
        (func (export "g") (result i32) (call_indirect (type $t) (i32.const 0))))"#;
    let engine = Engine::default();
    let bytes = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap().serialize().unwrap();
    let other = Engine::default();
    Module::new(
        &other,
        &wat::parse_str("(module (func (result i32) (i32.const 0)) (func (param i32) (result i32) (local.get 0)))")
            .unwrap(),
    )
    .unwrap();
    let module = load(&other, &bytes).expect("loads");
    let mut store = Store::new(&other);
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    match instance.get_func(&store, "g").unwrap().call(&mut store, &[]) {
        Err(Error::Trap(trap)) => assert_eq!(trap.code, TrapCode::BadSignature),
        other => panic!("expected a signature trap, got {other:?}"),
    }
}

#[test]
fn damaged_and_truncated_bytes_are_refused() {
    let engine = Engine::default();
    let bytes = compiled(&engine).serialize().unwrap();
    assert!(refusal(load(&engine, b"\0asm\x01\0\0\0")).contains("not a serialized wasmbeam module"));
    assert!(refusal(load(&engine, &[])).contains("not a serialized wasmbeam module"));
    // Every prefix is refused (never a panic, never a module).
    for len in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        refusal(load(&engine, &bytes[..len]));
    }
    // One flipped bit anywhere after the header's checksum is caught.
    let payload_start = bytes.len() - payload_len(&bytes);
    for at in (payload_start..bytes.len()).step_by(13) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        assert!(refusal(load(&engine, &damaged)).contains("damaged"), "byte {at}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(refusal(load(&engine, &longer)).contains("payload should be"));
    // Another format version.
    let mut version = bytes.clone();
    version[8] = 99;
    assert!(refusal(load(&engine, &version)).contains("format version 99"));
}

#[test]
fn code_from_other_settings_builds_or_cpus_is_refused() {
    let engine = Engine::default();
    let bytes = compiled(&engine).serialize().unwrap();
    let without_reductions = Engine::new(Config { reductions: false, ..Config::default() }).unwrap();
    assert!(refusal(load(&without_reductions, &bytes)).contains("compiled with other settings"));
    let unoptimized = Engine::new(Config { opt_level: OptLevel::None, ..Config::default() }).unwrap();
    assert!(refusal(load(&unoptimized, &bytes)).contains("compiled with other settings"));
    // The header's strings, rewritten: another code generator, a CPU
    // feature this machine does not have.
    let mut header = Header::read(&bytes);
    header.codegen = "0000000000000000".into();
    assert!(refusal(load(&engine, &header.write())).contains("another build of wasmbeam"));
    let mut header = Header::read(&bytes);
    header.features.push_str(",has_teleportation");
    assert!(refusal(load(&engine, &header.write())).contains("CPU feature has_teleportation"));
    // Untouched, the same header loads.
    load(&engine, &Header::read(&bytes).write()).expect("loads");
}

#[test]
fn code_for_another_architecture_is_refused_here() {
    let foreign = Engine::new(Config { target: Target::foreign(), ..Config::default() }).unwrap();
    let bytes = compiled(&foreign).serialize().expect("code for another machine serializes too");
    let message = refusal(load(&Engine::default(), &bytes));
    assert!(message.contains("compiled with other settings"), "{message}");
}

/// Bytes of the payload, from the header's length field.
fn payload_len(bytes: &[u8]) -> usize {
    let header = Header::read(bytes);
    bytes.len() - header.size
}

/// The header's fields from the version on (see `serialize.rs`).
struct Header {
    version: [u8; 4],
    codegen: String,
    settings: String,
    features: String,
    /// Bytes up to the payload.
    size: usize,
    rest: Vec<u8>,
}

impl Header {
    fn read(bytes: &[u8]) -> Header {
        let mut at = 12;
        let mut string = || {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let s = String::from_utf8(bytes[at + 4..at + 4 + len].to_vec()).unwrap();
            at += 4 + len;
            s
        };
        let (codegen, settings, features) = (string(), string(), string());
        let version = bytes[8..12].try_into().unwrap();
        Header { version, codegen, settings, features, size: at + 16, rest: bytes[at..].to_vec() }
    }

    fn write(&self) -> Vec<u8> {
        let mut out = b"WBMODUL\0".to_vec();
        out.extend_from_slice(&self.version);
        for s in [&self.codegen, &self.settings, &self.features] {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&self.rest);
        out
    }
}

#[test]
fn the_code_does_not_depend_on_the_number_of_compiling_threads() {
    // Enough functions that several threads take part, each with traps
    // (whose blocks are laid out in a fixed order) and a loop.
    let mut wat = String::from("(module (memory 1)");
    for i in 0..40 {
        wat.push_str(&format!(
            "(func (param i32) (result i32) (loop (br_if 0 (i32.eqz (i32.load (local.get 0))))) \
             (i32.div_s (local.get 0) (i32.const {i})))"
        ));
    }
    wat.push(')');
    let wasm = wat::parse_str(&wat).unwrap();
    let serialized = |threads| {
        let engine = Engine::new(Config { compile_threads: threads, ..Config::default() }).unwrap();
        Module::new(&engine, &wasm).unwrap().serialize().unwrap()
    };
    let one = serialized(1);
    assert!(serialized(2) == one);
    assert!(serialized(3) == one);
}

#[test]
fn the_cache_directory_saves_compiles_and_replaces_bad_entries() {
    let dir = std::env::temp_dir().join(format!("wasmbeam-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let engine = Engine::new(Config { cache_dir: Some(dir.clone()), ..Config::default() }).unwrap();
    let wasm = wat::parse_str(WAT).unwrap();
    let first = Module::new(&engine, &wasm).expect("compiles");
    check_runs(&first);
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 1, "one entry: {entries:?}");
    let entry = &entries[0];
    assert!(std::fs::read(entry).unwrap() == first.serialize().unwrap());
    // Loaded from the cache: the entry is left as it is, and runs.
    let modified = std::fs::metadata(entry).unwrap().modified().unwrap();
    check_runs(&Module::new(&engine, &wasm).expect("loads"));
    assert_eq!(std::fs::metadata(entry).unwrap().modified().unwrap(), modified);
    // A damaged entry is compiled again and replaced.
    let mut damaged = std::fs::read(entry).unwrap();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    std::fs::write(entry, &damaged).unwrap();
    check_runs(&Module::new(&engine, &wasm).expect("compiles again"));
    assert!(std::fs::read(entry).unwrap() == first.serialize().unwrap());
    // Other settings use another entry.
    let other = Engine::new(Config { cache_dir: Some(dir.clone()), reductions: false, ..Config::default() }).unwrap();
    Module::new(&other, &wasm).expect("compiles");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
