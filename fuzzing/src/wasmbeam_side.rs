//! wasmbeam as a [`Subject`]: calls run to completion ([`Execution::Direct`])
//! or in tiny fuel slices, every suspension saved as bytes, read back and
//! resumed on another thread ([`Execution::Sliced`], the spec runner's
//! [`Workers`]).

use crate::plan::{ExportedFunc, Plan, PlannedCall};
use crate::subject::{Snapshot, Subject};
use crate::value::{CallOutcome, TrapKind, Value, FUNC_UNKNOWN};
use crate::Failure;
use std::sync::OnceLock;
use wasmbeam::Val;
use wasmbeam::{Engine, Error, Extern, ExternRef, ExternType, Func, Instance, Linker, Module, Step, Store, TrapCode};
use wasmbeam_wast::{LastStep, Workers};

/// The engine all oracles share: the default configuration (reductions on,
/// 512 KiB of Wasm stack, Cranelift's verifier in debug builds).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

/// How calls run.
pub enum Execution<'w> {
    /// [`Func::call`]: to completion.
    Direct,
    /// [`Func::start`] and steps of `fuel` units on `workers`: each
    /// suspension is saved, read back and continues on the other thread.
    Sliced { fuel: u64, workers: &'w Workers },
}

/// An instance in its own store.
pub struct WasmbeamSubject<'w> {
    /// `None` only while a sliced call has the store on a worker.
    store: Option<Store>,
    instance: Instance,
    execution: Execution<'w>,
    /// Where the last sliced step ran, so the next call starts on the
    /// other worker.
    last: Option<LastStep>,
    /// Suspensions seen in sliced calls.
    pub suspensions: u64,
}

/// Compiles `wasm` (which must compile: the generators only produce valid
/// modules wasmbeam supports).
pub fn compile(wasm: &[u8]) -> Result<Module, Failure> {
    Module::new(engine(), wasm).map_err(|e| Failure::new(format!("wasmbeam refused a supported module: {e}")))
}

/// The module's exported functions, in export order.
pub fn exported_funcs(module: &Module) -> Vec<ExportedFunc> {
    module
        .exports()
        .filter_map(|(name, ty)| match ty {
            ExternType::Func(f) => {
                Some(ExportedFunc { name: name.to_string(), params: f.params.to_vec(), results: f.results.to_vec() })
            }
            _ => None,
        })
        .collect()
}

impl<'w> WasmbeamSubject<'w> {
    /// Instantiates `module` in a new store. `Ok(Err(trap))` if
    /// instantiation trapped or failed.
    pub fn instantiate(module: &Module, execution: Execution<'w>) -> Result<Result<Self, TrapKind>, Failure> {
        let mut store = Store::new(engine());
        match Linker::new().instantiate(&mut store, module) {
            Ok(instance) => {
                Ok(Ok(WasmbeamSubject { store: Some(store), instance, execution, last: None, suspensions: 0 }))
            }
            Err(e) => Ok(Err(failure_kind(e)?)),
        }
    }

    fn store(&self) -> &Store {
        // Only taken during a sliced call, which gives it back before returning.
        self.store.as_ref().expect("the store is back after every call")
    }

    fn func(&self, plan: &Plan, index: usize) -> Result<Func, Failure> {
        let name = &plan.funcs[index].name;
        self.instance.get_func(self.store(), name).ok_or_else(|| Failure::new(format!("no exported function `{name}`")))
    }

    fn val_of(&self, plan: &Plan, value: Value) -> Result<Val, Failure> {
        Ok(match value {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(v) => Val::F32(v),
            Value::F64(v) => Val::F64(v),
            Value::V128(v) => Val::V128(v.into()),
            Value::FuncRef(None) => Val::FuncRef(None),
            Value::FuncRef(Some(i)) => Val::FuncRef(Some(self.func(plan, i as usize)?)),
            Value::ExternRef(r) => Val::ExternRef(r.and_then(ExternRef::new)),
            Value::ExnRef(false) => Val::ExnRef(None),
            Value::ExnRef(true) => return Err(Failure::new("a non-null exnref argument cannot be made")),
        })
    }

    fn run(&mut self, func: Func, args: &[Val]) -> Result<Result<Vec<Val>, Error>, Failure> {
        let Some(mut store) = self.store.take() else {
            return Err(Failure::new("the store was lost by an earlier call"));
        };
        match self.execution {
            Execution::Direct => {
                let result = func.call(&mut store, args);
                self.store = Some(store);
                Ok(result)
            }
            Execution::Sliced { fuel, workers } => {
                let call = match func.start(&mut store, args) {
                    Ok(call) => call,
                    Err(e) => {
                        self.store = Some(store);
                        return Ok(Err(e));
                    }
                };
                let done = workers.run(store, call, fuel, self.last).map_err(Failure::new)?;
                self.store = Some(done.store);
                self.last = done.last;
                self.suspensions += done.stats.suspensions;
                match done.outcome {
                    Ok(Step::Finished(results)) => Ok(Ok(results)),
                    Ok(other) => Err(Failure::new(format!("a sliced call stopped at {other:?}"))),
                    Err(e) => Ok(Err(e)),
                }
            }
        }
    }

    fn value_of(&self, plan: &Plan, val: Val) -> Value {
        match val {
            Val::I32(v) => Value::I32(v),
            Val::I64(v) => Value::I64(v),
            Val::F32(v) => Value::F32(v),
            Val::F64(v) => Value::F64(v),
            Val::V128(v) => Value::V128(v.as_u128()),
            Val::FuncRef(None) => Value::FuncRef(None),
            Val::FuncRef(Some(f)) => {
                let index = (0..plan.funcs.len()).find(|&i| self.func(plan, i).is_ok_and(|g| g == f));
                Value::FuncRef(Some(index.map_or(FUNC_UNKNOWN, |i| i as u32)))
            }
            Val::ExternRef(r) => Value::ExternRef(r.map(ExternRef::payload)),
            Val::ExnRef(r) => Value::ExnRef(r.is_some()),
        }
    }
}

impl Subject for WasmbeamSubject<'_> {
    fn call(&mut self, plan: &Plan, call: &PlannedCall) -> Result<CallOutcome, Failure> {
        let func = self.func(plan, call.func)?;
        let args = call.args.iter().map(|v| self.val_of(plan, *v)).collect::<Result<Vec<_>, _>>()?;
        match self.run(func, &args)? {
            Ok(results) => Ok(CallOutcome::Returned(results.into_iter().map(|v| self.value_of(plan, v)).collect())),
            Err(e) => Ok(CallOutcome::Trapped(failure_kind(e)?)),
        }
    }

    fn snapshot(&self) -> Snapshot {
        let store = self.store();
        let mut snapshot = Snapshot::default();
        let no_plan = Plan::default();
        // The exports are of this store's own instance: the accessors
        // cannot refuse them.
        const OWN: &str = "an export of the store's own instance";
        for (name, item) in self.instance.exports(store) {
            match item {
                Extern::Global(g) => {
                    let value = g.get(store).expect(OWN);
                    snapshot.globals.insert(name.to_string(), self.value_of(&no_plan, value).comparable());
                }
                Extern::Memory(m) => {
                    snapshot.memories.insert(name.to_string(), m.data(store).expect(OWN).to_vec());
                }
                Extern::Table(t) => {
                    let size = t.size(store).expect(OWN);
                    let nulls = (0..size).map(|i| t.get(store, i).map_or(true, is_null)).collect();
                    snapshot.tables.insert(name.to_string(), nulls);
                }
                Extern::Func(_) | Extern::Tag(_) => {}
            }
        }
        snapshot
    }
}

fn is_null(val: Val) -> bool {
    matches!(val, Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None))
}

/// The kind of a trap, or of an error that is an acceptable way for an
/// instantiation or call to fail; `Err` for errors that must not happen
/// (compile errors of a compiled module, API misuse, harness failures).
fn failure_kind(e: Error) -> Result<TrapKind, Failure> {
    match e {
        Error::Trap(trap) => match trap.code {
            TrapCode::HostError => {
                Err(Failure::new(format!("wasmbeam trapped with {:?}: {}", trap.code, trap.message)))
            }
            code => Ok(trap_kind(code)),
        },
        Error::Limit(message) => Ok(TrapKind::Other(message)),
        // Only the suspension oracle draws exceptions: both sides are
        // wasmbeam, and tags are numbered alike in their stores.
        Error::Exception(e) => {
            let payload: Vec<String> = e
                .payload
                .iter()
                .map(|v| match v {
                    Val::FuncRef(f) => format!("funcref non-null: {}", f.is_some()),
                    other => format!("{other:?}"),
                })
                .collect();
            Ok(TrapKind::Other(format!("uncaught exception of tag {}: {payload:?}", e.tag_index())))
        }
        other => Err(Failure::new(format!("wasmbeam failed: {other}"))),
    }
}

fn trap_kind(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::StackOverflow => TrapKind::StackExhausted,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds | TrapCode::UndefinedElement => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::NullElement,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::IntegerDivisionByZero => TrapKind::DivisionByZero,
        TrapCode::BadConversionToInteger => TrapKind::BadConversion,
        TrapCode::Unreachable => TrapKind::Unreachable,
        TrapCode::OutOfFuel => TrapKind::OutOfFuel,
        other => TrapKind::Other(format!("{other:?}")),
    }
}
