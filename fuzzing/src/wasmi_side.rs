//! wasmi 2 as a [`Subject`]: the reference the differential oracle compares
//! wasmbeam with.

use crate::plan::{Plan, PlannedCall};
use crate::subject::{Snapshot, Subject};
use crate::value::{CallOutcome, TrapKind, Value, FUNC_UNKNOWN};
use crate::Failure;
use std::sync::OnceLock;
use wasmi::{Config, Engine, Extern, ExternRef, Instance, Linker, Module, Nullable, Ref, Store, TrapCode, Val};

/// wasmi with its default features (WebAssembly 2.0 and more; the
/// generated modules use nothing beyond wasmbeam's), no fuel, and room for
/// deeper recursion than wasmbeam's 512 KiB of stack allows, so that stack
/// exhaustion, which ends a comparison, is wasmbeam's to decide.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::default();
        config.set_max_recursion_depth(100_000).set_max_stack_height(64 << 20);
        Engine::new(&config)
    })
}

pub struct WasmiSubject {
    store: Store<()>,
    instance: Instance,
}

impl WasmiSubject {
    /// Compiles and instantiates `wasm`. `Ok(Err(kind))` if instantiation
    /// trapped or failed; `Err` if wasmi refuses the module.
    pub fn instantiate(wasm: &[u8]) -> Result<Result<WasmiSubject, TrapKind>, Failure> {
        let module = Module::new(engine(), wasm).map_err(|e| Failure::new(format!("wasmi refused the module: {e}")))?;
        let mut store = Store::new(engine(), ());
        match Linker::<()>::new(engine()).instantiate_and_start(&mut store, &module) {
            Ok(instance) => Ok(Ok(WasmiSubject { store, instance })),
            Err(e) => Ok(Err(error_kind(&e))),
        }
    }

    fn func(&self, plan: &Plan, index: usize) -> Result<wasmi::Func, Failure> {
        let name = &plan.funcs[index].name;
        self.instance.get_func(&self.store, name).ok_or_else(|| Failure::new(format!("wasmi: no function `{name}`")))
    }

    fn val_of(&mut self, plan: &Plan, value: Value) -> Result<Val, Failure> {
        Ok(match value {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(v) => Val::F32(wasmi::F32::from_bits(v)),
            Value::F64(v) => Val::F64(wasmi::F64::from_bits(v)),
            Value::V128(v) => Val::V128(v.into()),
            Value::FuncRef(None) => Val::FuncRef(Nullable::Null),
            Value::FuncRef(Some(i)) => Val::FuncRef(Nullable::Val(self.func(plan, i as usize)?)),
            Value::ExternRef(None) => Val::ExternRef(Nullable::Null),
            Value::ExternRef(Some(payload)) => Val::ExternRef(Nullable::Val(ExternRef::new(&mut self.store, payload))),
            // The differential fuzzer draws no exception handling (wasmi has none).
            Value::ExnRef(_) => return Err(Failure::new("wasmi has no exnref")),
        })
    }

    fn value_of(&self, val: &Val) -> Result<Value, Failure> {
        Ok(match val {
            Val::I32(v) => Value::I32(*v),
            Val::I64(v) => Value::I64(*v),
            Val::F32(v) => Value::F32(v.to_bits()),
            Val::F64(v) => Value::F64(v.to_bits()),
            Val::FuncRef(f) => Value::FuncRef((!f.is_null()).then_some(FUNC_UNKNOWN)),
            Val::ExternRef(Nullable::Null) => Value::ExternRef(None),
            Val::ExternRef(Nullable::Val(r)) => {
                let payload = r.data(&self.store).downcast_ref::<u64>();
                Value::ExternRef(Some(*payload.ok_or_else(|| Failure::new("wasmi: an externref of no payload"))?))
            }
            Val::V128(v) => Value::V128(v.as_u128()),
        })
    }
}

impl Subject for WasmiSubject {
    fn call(&mut self, plan: &Plan, call: &PlannedCall) -> Result<CallOutcome, Failure> {
        let func = self.func(plan, call.func)?;
        let args = call.args.iter().map(|v| self.val_of(plan, *v)).collect::<Result<Vec<_>, _>>()?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for_ty(*t)).collect();
        // wasmi compiles a function on its first call: a panic of its
        // translator is the reference's failure, reported as a finding of
        // the harness (not a crash of the whole run).
        let store = &mut self.store;
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| func.call(store, &args, &mut results)))
            .map_err(|panic| {
            let message =
                panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
            Failure::new(format!("wasmi panicked: {}", message.unwrap_or_default()))
        })?;
        match called {
            Ok(()) => Ok(CallOutcome::Returned(results.iter().map(|v| self.value_of(v)).collect::<Result<_, _>>()?)),
            Err(e) => Ok(CallOutcome::Trapped(error_kind(&e))),
        }
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for export in self.instance.exports(&self.store) {
            let name = export.name().to_string();
            match export.into_extern() {
                Extern::Global(g) => {
                    let value = self.value_of(&g.get(&self.store)).unwrap_or(Value::I32(i32::MIN));
                    snapshot.globals.insert(name, value.comparable());
                }
                Extern::Memory(m) => {
                    snapshot.memories.insert(name, m.data(&self.store).to_vec());
                }
                Extern::Table(t) => {
                    let nulls = (0..t.size(&self.store)).map(|i| t.get(&self.store, i).is_none_or(|r| is_null(&r)));
                    snapshot.tables.insert(name, nulls.collect());
                }
                Extern::Func(_) => {}
            }
        }
        snapshot
    }
}

fn is_null(r: &Ref) -> bool {
    match r {
        Ref::Func(f) => f.is_null(),
        Ref::Extern(e) => e.is_null(),
    }
}

fn error_kind(e: &wasmi::Error) -> TrapKind {
    match e.as_trap_code() {
        Some(TrapCode::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(TrapCode::MemoryOutOfBounds) => TrapKind::MemoryOutOfBounds,
        Some(TrapCode::TableOutOfBounds) => TrapKind::TableOutOfBounds,
        Some(TrapCode::IndirectCallToNull) => TrapKind::NullElement,
        Some(TrapCode::IntegerDivisionByZero) => TrapKind::DivisionByZero,
        Some(TrapCode::IntegerOverflow) => TrapKind::IntegerOverflow,
        Some(TrapCode::BadConversionToInteger) => TrapKind::BadConversion,
        Some(TrapCode::StackOverflow) => TrapKind::StackExhausted,
        Some(TrapCode::BadSignature) => TrapKind::IndirectCallTypeMismatch,
        Some(TrapCode::OutOfFuel) => TrapKind::OutOfFuel,
        _ => TrapKind::Other(e.to_string()),
    }
}
