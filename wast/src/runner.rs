//! Executing script directives against one store.

use super::driver::Driver;
use super::mode::{Mode, SuspensionStats};
use super::suspending::{has_start_function, StandIns};
use super::transcript::{Action, Transcript};
use super::values::{arg_to_val, check_results, ValDisplay};
use super::{encode_module, is_quoted, spectest, Outcome};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use wasmbeam_runtime::{Engine, Error, Instance, Linker, Module, Store, StoreLimits, Val};
use wast::token::Id;
use wast::{QuoteWat, WastDirective, WastExecute, WastInvoke, Wat};

/// The state a script builds up: one store holding every instance, the
/// linker with `spectest` and all registered instances, and the names
/// directives refer to; how calls run ([`Mode`]) and what they produced.
pub(crate) struct Runner {
    store: Store,
    linker: Linker,
    mode: Mode,
    /// Runs the calls in a suspending mode; `None` in [`Mode::Direct`].
    driver: Option<Driver>,
    /// The suspending stand-ins of imported functions
    /// ([`Mode::SuspendingImports`] only; empty otherwise).
    stand_ins: StandIns,
    /// Every action's result, checked against the reference run's if any.
    transcript: Transcript,
    /// Line of the directive being run.
    line: usize,
    /// The instance of the last successful `module` directive; `None` after
    /// a `module` directive failed, so later directives report that instead
    /// of silently running against an older module.
    current: Option<Instance>,
    /// Instances by `$name`.
    instances: HashMap<String, Instance>,
    /// Modules of `(module definition $name ...)` directives, by name.
    definitions: HashMap<String, Compiled>,
    /// The module of the last `(module definition ...)`.
    last_definition: Option<Compiled>,
}

/// A compiled module of the script.
#[derive(Clone)]
struct Compiled {
    module: Module,
    /// Whether it has a start function (which keeps it from getting
    /// suspending imports).
    has_start: bool,
}

/// Why executing an action did not produce values.
enum ExecError {
    /// The engine reported an error: what assertions inspect.
    Engine(Error),
    /// The script could not be carried out as written (unknown module or
    /// export, unsupported value, text that does not encode): always a
    /// failure, whatever the assertion expected.
    Script(String),
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Engine(e) => write!(f, "{e}"),
            ExecError::Script(message) => write!(f, "cannot run the script as written: {message}"),
        }
    }
}

impl From<Error> for ExecError {
    fn from(e: Error) -> Self {
        ExecError::Engine(e)
    }
}

/// The native stack WebAssembly may use in the sliced modes (the engine's
/// default is 512 KiB). Each suspension saves every frame, so a script that
/// recurses until the stack is exhausted costs the square of its depth:
/// `skip-stack-guard-page`'s frames of a thousand live locals took minutes
/// per mode with the default. Every other script runs far shallower, and
/// its actions must still match the uninterrupted run's.
const SLICED_WASM_STACK: usize = 64 * 1024;

impl Runner {
    /// A runner for the script `name` whose calls run in `mode`, checking
    /// every action against `reference` if given.
    pub(crate) fn new(
        engine: &Engine,
        name: &str,
        mode: Mode,
        reference: Option<Arc<[Action]>>,
    ) -> Result<Runner, String> {
        let mut store = Store::new(engine);
        if let Mode::Sliced(_) = mode {
            let limits = store.limits();
            store.set_limits(StoreLimits { max_wasm_stack: SLICED_WASM_STACK, ..limits });
        }
        let mut linker = Linker::new();
        spectest::define(&mut store, &mut linker).map_err(|e| format!("cannot define the spectest module: {e}"))?;
        let driver = Driver::new(name, mode).map_err(|e| format!("cannot start the worker threads: {e}"))?;
        Ok(Runner {
            store,
            linker,
            mode,
            driver,
            stand_ins: StandIns::default(),
            transcript: Transcript::new(reference),
            line: 0,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
        })
    }

    /// What the suspending modes saw (all zero in [`Mode::Direct`]).
    pub(crate) fn stats(&self) -> SuspensionStats {
        self.driver.as_ref().map(Driver::stats).unwrap_or_default()
    }

    /// The actions so far, and how the run fell short of the reference
    /// (actions it never performed), if it did.
    pub(crate) fn finish(self) -> (Vec<Action>, Option<String>) {
        let missing = self.transcript.missing();
        (self.transcript.into_actions(), missing)
    }

    /// Runs the directive at `line`. Its outcome is a failure, whatever the
    /// assertion said, if an action it performed produced something other
    /// than in the reference run.
    pub(crate) fn run(&mut self, line: usize, directive: WastDirective<'_>) -> Outcome {
        self.line = line;
        let before = self.transcript.len();
        let outcome = self.run_directive(directive);
        match (self.transcript.differences_since(before), outcome) {
            (None, outcome) => outcome,
            (Some(diff), Outcome::Failed(message)) => {
                Outcome::Failed(format!("{message}; and it differs from the uninterrupted run: {diff}"))
            }
            (Some(diff), _) => Outcome::Failed(format!("differs from the uninterrupted run: {diff}")),
        }
    }

    fn run_directive(&mut self, directive: WastDirective<'_>) -> Outcome {
        use Outcome::{Failed, Passed};
        match directive {
            WastDirective::Module(module) => match self.instantiate_directive(module) {
                Ok(()) => Passed,
                Err(e) => Failed(e.to_string()),
            },
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name();
                match encode_module(&mut module).map_err(ExecError::Script).and_then(|bytes| self.compile(&bytes)) {
                    Ok(compiled) => {
                        if let Some(name) = name {
                            self.definitions.insert(name.name().to_string(), compiled.clone());
                        }
                        self.last_definition = Some(compiled);
                        Passed
                    }
                    Err(e) => Failed(e.to_string()),
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                match self.instantiate_definition(instance, module) {
                    Ok(()) => Passed,
                    Err(e) => Failed(e.to_string()),
                }
            }
            WastDirective::Register { name, module, .. } => match self.instance(module) {
                Ok(instance) => {
                    self.linker.define_instance(&self.store, name, instance);
                    Passed
                }
                Err(e) => Failed(e.to_string()),
            },
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Ok(_) => Passed,
                Err(e) => Failed(format!("`{}` failed: {e}", invoke.name)),
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.execute(exec) {
                Ok(actual) => match check_results(&results, &actual) {
                    Ok(()) => Passed,
                    Err(mismatch) => Failed(mismatch),
                },
                Err(e) => Failed(format!("expected results, got: {e}")),
            },
            WastDirective::AssertTrap { exec, message, .. } => {
                let what = match &exec {
                    WastExecute::Wat(_) => "instantiation",
                    _ => "call",
                };
                expect_trap(what, message, self.execute(exec))
            }
            WastDirective::AssertExhaustion { call, message, .. } => expect_trap("call", message, self.invoke(&call)),
            WastDirective::AssertInvalid { module, message, .. } => self.expect_rejected(module, "invalid", message),
            WastDirective::AssertMalformed { module, message, .. } => {
                self.expect_rejected(module, "malformed", message)
            }
            WastDirective::AssertUnlinkable { module, message, .. } => self.expect_unlinkable(module, message),
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Err(ExecError::Engine(Error::Exception(_))) => Passed,
                Ok(values) => Failed(format!("expected an exception, got {}", list_values(&values))),
                Err(e) => Failed(format!("expected an exception, got: {e}")),
            },
            other => Failed(format!("unsupported directive (not part of WebAssembly 2.0): {other:?}")),
        }
    }

    /// `(module ...)`: compile, instantiate, make it current, name it.
    fn instantiate_directive(&mut self, mut module: QuoteWat<'_>) -> Result<(), ExecError> {
        self.current = None;
        let name = module.name();
        if let Some(name) = name {
            self.instances.remove(name.name());
        }
        let bytes = encode_module(&mut module).map_err(ExecError::Script)?;
        let compiled = self.compile(&bytes)?;
        let instance = self.instantiate(&compiled)?;
        if let Some(name) = name {
            self.instances.insert(name.name().to_string(), instance);
        }
        self.current = Some(instance);
        Ok(())
    }

    /// `(module instance $i $m)`: instantiate a defined module.
    fn instantiate_definition(&mut self, instance: Option<Id<'_>>, module: Option<Id<'_>>) -> Result<(), ExecError> {
        self.current = None;
        let compiled = match module {
            Some(id) => self.definitions.get(id.name()),
            None => self.last_definition.as_ref(),
        }
        .cloned()
        .ok_or_else(|| ExecError::Script(format!("no module definition {}", id_name(module))))?;
        let created = self.instantiate(&compiled)?;
        if let Some(id) = instance {
            self.instances.insert(id.name().to_string(), created);
        }
        self.current = Some(created);
        Ok(())
    }

    fn compile(&self, bytes: &[u8]) -> Result<Compiled, ExecError> {
        let module = Module::new(self.store.engine(), bytes)?;
        let has_start = self.mode == Mode::SuspendingImports && has_start_function(bytes);
        Ok(Compiled { module, has_start })
    }

    /// Instantiates `compiled` (running its start function), with
    /// suspending stand-ins for its function imports in
    /// [`Mode::SuspendingImports`] unless it has a start function, and
    /// records the outcome as an action.
    fn instantiate(&mut self, compiled: &Compiled) -> Result<Instance, ExecError> {
        let module = &compiled.module;
        let result = match &mut self.driver {
            Some(driver) if self.mode == Mode::SuspendingImports => {
                if compiled.has_start {
                    if module.imports().any(|(_, _, ty)| matches!(ty, wasmbeam_runtime::ExternType::Func(_))) {
                        driver.note_native_imports();
                    }
                    self.linker.instantiate(&mut self.store, module)
                } else {
                    let linker = self.stand_ins.linker_for(&mut self.store, &self.linker, module);
                    linker.instantiate(&mut self.store, module)
                }
            }
            _ => self.linker.instantiate(&mut self.store, module),
        };
        let described = match &result {
            Ok(_) => "instantiated".to_string(),
            Err(e) => describe_error(e),
        };
        self.transcript.record(self.line, described);
        Ok(result?)
    }

    /// The instance a directive names, or the current one.
    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, ExecError> {
        match id {
            Some(id) => self.instances.get(id.name()).copied().ok_or_else(|| {
                ExecError::Script(format!(
                    "no instance named ${} (its module directive failed or never ran)",
                    id.name()
                ))
            }),
            None => self.current.ok_or_else(|| {
                ExecError::Script("no current module (no module directive yet, or the last one failed)".into())
            }),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, ExecError> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| ExecError::Script(format!("no exported function `{}`", invoke.name)))?;
        let args = invoke.args.iter().map(arg_to_val).collect::<Result<Vec<_>, _>>().map_err(ExecError::Script)?;
        let result = match &mut self.driver {
            None => func.call(&mut self.store, &args),
            Some(driver) => driver.call(&mut self.store, func, &args, &self.stand_ins),
        };
        let described = match &result {
            Ok(values) => list_values(values),
            Err(e) => describe_error(e),
        };
        self.transcript.record(self.line, described);
        Ok(result?)
    }

    /// The action of an assertion: a call, reading a global, or (for
    /// `assert_trap`) instantiating a module, which yields no values.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, ExecError> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let global = instance
                    .get_global(&self.store, global)
                    .ok_or_else(|| ExecError::Script(format!("no exported global `{global}`")))?;
                let value = global.get(&self.store)?;
                self.transcript.record(self.line, list_values(std::slice::from_ref(&value)));
                Ok(vec![value])
            }
            WastExecute::Wat(mut wat) => {
                let bytes = wat.encode().map_err(|e| ExecError::Script(format!("the module does not encode: {e}")))?;
                let compiled = self.compile(&bytes)?;
                self.instantiate(&compiled)?;
                Ok(Vec::new())
            }
        }
    }

    /// `assert_invalid` / `assert_malformed`: any error from the engine
    /// passes; only acceptance fails. A quoted text module that the `wast`
    /// crate cannot parse is skipped for `assert_malformed` (the text format
    /// is outside wasmbeam) and a failure otherwise.
    fn expect_rejected(&mut self, mut module: QuoteWat<'_>, kind: &str, message: &str) -> Outcome {
        let quoted = is_quoted(&module);
        let bytes = match encode_module(&mut module) {
            Ok(bytes) => bytes,
            Err(e) if quoted && kind == "malformed" => {
                return Outcome::Skipped(format!("text rejected by the wast parser, not by wasmbeam: {e}"))
            }
            Err(e) => return Outcome::Failed(format!("cannot run the script as written: {e}")),
        };
        match Module::new(self.store.engine(), &bytes) {
            Ok(_) => Outcome::Failed(format!("module accepted, expected it to be rejected as {kind}: \"{message}\"")),
            Err(_) => Outcome::Passed,
        }
    }

    /// `assert_unlinkable`: the module compiles but instantiation fails
    /// with a link error containing `message`.
    fn expect_unlinkable(&mut self, mut module: Wat<'_>, message: &str) -> Outcome {
        let result = module
            .encode()
            .map_err(|e| ExecError::Script(format!("the module does not encode: {e}")))
            .and_then(|bytes| self.compile(&bytes))
            .and_then(|compiled| self.instantiate(&compiled));
        match result {
            Ok(_) => Outcome::Failed(format!("module instantiated, expected link error \"{message}\"")),
            Err(ExecError::Engine(Error::Link(actual))) if actual.contains(message) => Outcome::Passed,
            Err(e) => Outcome::Failed(format!("expected link error \"{message}\", got: {e}")),
        }
    }
}

/// `assert_trap` / `assert_exhaustion`: passes on an engine trap whose
/// message contains `message`.
fn expect_trap(what: &str, message: &str, result: Result<Vec<Val>, ExecError>) -> Outcome {
    match result {
        Ok(values) if what == "instantiation" => {
            debug_assert!(values.is_empty());
            Outcome::Failed(format!("expected trap \"{message}\", instantiation succeeded"))
        }
        Ok(values) => {
            let values: Vec<String> = values.iter().map(|v| ValDisplay(v).to_string()).collect();
            Outcome::Failed(format!("expected trap \"{message}\", {what} returned [{}]", values.join(", ")))
        }
        Err(ExecError::Engine(Error::Trap(trap))) if trap.to_string().contains(message) => Outcome::Passed,
        Err(e) => Outcome::Failed(format!("expected trap \"{message}\", got: {e}")),
    }
}

/// An action's values for the transcript: floats with their bits, funcrefs
/// only as null or not (their identity differs between modes: a stand-in
/// is another function).
fn list_values(values: &[Val]) -> String {
    let values: Vec<String> = values.iter().map(|v| ValDisplay(v).to_string()).collect();
    format!("[{}]", values.join(", "))
}

/// An engine error for the transcript: its kind and full message.
fn describe_error(e: &Error) -> String {
    match e {
        Error::Trap(trap) => format!("trap {:?}: {}", trap.code, trap.message),
        Error::Link(message) => format!("link error: {message}"),
        Error::Compile(e) => format!("compile error: {e}"),
        Error::BadArgument(message) => format!("bad argument: {message}"),
        Error::Limit(message) => format!("limit: {message}"),
        Error::Internal(message) => format!("internal error: {message}"),
        Error::Exit(status) => format!("exit status {status}"),
        Error::Exception(e) => format!("exception of tag {}: {}", e.tag_index(), list_values(&e.payload)),
    }
}

fn id_name(id: Option<Id<'_>>) -> String {
    id.map_or_else(|| "(unnamed)".to_string(), |id| format!("${}", id.name()))
}
