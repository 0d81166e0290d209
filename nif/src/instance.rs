//! Instances: `instantiate/3`, who may call them, and their options.
//!
//! Each instance has its own store (memories, tables, globals), so
//! instances share nothing but their module's code. Every import is a
//! suspending host function: when WebAssembly calls it, the call stops and
//! the NIF hands the Erlang fun and the arguments to the calling process.

use crate::atoms;
use crate::engine::{engine, DEFAULT_MEMORY_LIMIT_BYTES, MAX_WASM_STACK};
use crate::error::{bad_argument, guard, Failure};
use crate::module::{module_arg, ModuleRes};
use crate::raw;
use crate::stats::{self, Live};
use crate::wasi::WasiSetup;
use rustler::types::map::MapIterator;
use rustler::{Atom, Binary, Encoder, Env, LocalPid, OwnedEnv, Resource, ResourceArc, SchedulerFlags, Term, TermType};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use wasmbeam_runtime::{ExternType, Func, Instance, Linker, Memory, Store, StoreLimits, ValType};

/// An instance and its store, with the Erlang funs it imports.
///
/// One lock, `state`: held while WebAssembly runs a step (at most about
/// 200 us) or for a moment by the other NIFs. Who is in a call on the
/// instance is kept under it (`Ownership`); a call that starts takes the
/// lock for its first step and, if that step ends it, gives the instance
/// back before unlocking: two atomic operations in all.
pub struct InstanceRes {
    /// The owner's pid term while calls are active, 0 otherwise (written
    /// under `state`). A call that finds `state` locked reads it to answer
    /// `busy` at once when another process owns the instance (which then
    /// runs a step, or is about to), rather than wait for the lock.
    owner_hint: AtomicU64,
    pub state: Mutex<InstanceState>,
    _live: Live,
}

#[rustler::resource_impl]
impl Resource for InstanceRes {}

/// Who is in a call on the instance (kept in [`InstanceState`]).
#[derive(Default)]
struct Ownership {
    /// The process whose calls are active (`None` when `active` is 0).
    owner: Option<LocalPid>,
    /// Calls started and not yet over: more than one when a host fun called
    /// back into the instance (each nested call counts).
    active: usize,
}

pub struct InstanceState {
    ownership: Ownership,
    pub store: Store,
    pub instance: Instance,
    /// The suspending host functions of the imports, in import order; the
    /// fun of `host_funcs[i]` is `funs[i]`, its result types
    /// `host_results[i]`.
    pub host_funcs: Vec<Func>,
    pub host_results: Vec<Arc<[ValType]>>,
    funs_env: OwnedEnv,
    funs: Vec<rustler::env::SavedTerm>,
    /// The start function, until it has run.
    pub start: Option<Func>,
    /// The memory `read_memory` and friends use: the export `memory`, or the
    /// first exported memory.
    pub memory: Option<Memory>,
    /// Total fuel of each call, unless the call's options say otherwise.
    pub fuel_limit: Option<u64>,
    /// The instance's WASI world, if it was made with the `wasi` option.
    pub wasi: Option<WasiSetup>,
    /// The export last called by an atom name: the atom's term and the
    /// function. An atom is the same term in every env for the VM's life,
    /// so a process calling one export in a loop finds it here without
    /// copying out and hashing its name.
    last_export: Option<(rustler::sys::ErlNifTerm, Func)>,
}

/// The instance a NIF was given, borrowed for the NIF's run (its term keeps
/// it alive meanwhile): no reference count to take and drop.
pub fn instance_ref<'a>(term: Term<'a>) -> Result<&'a InstanceRes, Failure> {
    term.decode().map_err(|_| bad_argument("not an instance"))
}

impl InstanceRes {
    /// Starts a call by the process of `env`, allowed when the instance is
    /// idle or when that process is already in a call on it (a host fun
    /// calling back in), and returns the state locked for its first step.
    /// End the call with [`InstanceRes::end_call`] under a lock, or with
    /// [`InstanceRes::release`].
    ///
    /// If the lock is taken, another process that owns the instance gets
    /// `busy` at once; otherwise (a moment's NIF of another process, or a
    /// call of this one waiting in a host fun) this waits for the lock.
    pub fn begin_call(&self, env: Env) -> Result<MutexGuard<'_, InstanceState>, Failure> {
        let pid = env.pid();
        let me = pid_word(env, pid);
        let mut st = match self.state.try_lock() {
            Ok(st) => st,
            Err(TryLockError::WouldBlock) => {
                let owner = self.owner_hint.load(Ordering::Acquire);
                if owner != 0 && owner != me {
                    return Err(Failure::Busy);
                }
                lock(&self.state)?
            }
            Err(TryLockError::Poisoned(_)) => return Err(unusable()),
        };
        let ownership = &mut st.ownership;
        if ownership.active > 0 && ownership.owner.is_some_and(|owner| owner != pid) {
            return Err(Failure::Busy);
        }
        ownership.owner = Some(pid);
        ownership.active += 1;
        self.owner_hint.store(me, Ordering::Release);
        Ok(st)
    }

    /// Ends a call started with [`InstanceRes::begin_call`]; `st` is the
    /// state, locked by the caller.
    pub fn end_call(&self, st: &mut InstanceState) {
        let ownership = &mut st.ownership;
        ownership.active = ownership.active.saturating_sub(1);
        if ownership.active == 0 {
            ownership.owner = None;
            self.owner_hint.store(0, Ordering::Release);
        }
    }

    /// Ends a call started with [`InstanceRes::begin_call`], taking the
    /// lock: never with the state locked on this thread.
    pub fn release(&self) {
        // A poisoned lock only means a panic elsewhere while it was held;
        // the counts are plain integers, always consistent: go on with them.
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.end_call(&mut st);
    }

    pub fn lock_state(&self) -> Result<MutexGuard<'_, InstanceState>, Failure> {
        lock(&self.state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>, Failure> {
    mutex.lock().map_err(|_| unusable())
}

fn unusable() -> Failure {
    Failure::Internal("the instance is unusable after an internal error".into())
}

/// The term of `pid` as a word: a local pid is an immediate term, the same
/// in every env for the life of its process.
fn pid_word(env: Env, pid: LocalPid) -> u64 {
    let term = pid.encode(env).as_c_arg();
    // SAFETY: `ErlNifTerm` is `repr(transparent)` over `usize` (the VM's
    // word): the same size and bits.
    let word: usize = unsafe { std::mem::transmute::<rustler::sys::ErlNifTerm, usize>(term) };
    word as u64
}

impl InstanceState {
    /// The exported function named `name`, a binary or an atom.
    pub fn export_func(&mut self, name: Term) -> Result<Func, Failure> {
        let atom = name.is_atom().then(|| name.as_c_arg());
        if let (Some(atom), Some((last, func))) = (atom, self.last_export) {
            if atom == last {
                return Ok(func);
            }
        }
        let func = with_name(name, |text| {
            self.instance
                .get_func(&self.store, text)
                .ok_or_else(|| bad_argument(format!("no exported function named `{text}`")))
        })?;
        if let Some(atom) = atom {
            self.last_export = Some((atom, func));
        }
        Ok(func)
    }

    /// The Erlang fun of host function `func`, copied into `env`, and the
    /// function's index in `host_funcs` (and `host_results`).
    pub fn host_fun<'a>(&self, env: Env<'a>, func: Func) -> Option<(Term<'a>, usize)> {
        let index = self.host_funcs.iter().position(|f| *f == func)?;
        let saved = self.funs.get(index)?;
        let fun = self.funs_env.run(|owned| saved.load(owned).in_env(env));
        Some((fun, index))
    }
}

/// Modules whose binary is larger than this are instantiated on a dirty
/// CPU scheduler: their data segments may take long to copy.
const INLINE_INSTANTIATE_BYTES: usize = 256 * 1024;

/// `instantiate(Module, Imports, Options)` → `{ok, Instance}`. The start
/// function does not run here: the Erlang wrapper runs it next, as a call
/// (so it is sliced and may call host funs).
#[rustler::nif]
fn instantiate<'a>(env: Env<'a>, module: Term<'a>, imports: Term<'a>, options: Term<'a>) -> Term<'a> {
    guard(env, || {
        let res = match module_arg(module) {
            Ok(res) => res,
            Err(failure) => return failure.to_term(env),
        };
        if res.wasm_len > INLINE_INSTANTIATE_BYTES {
            return raw::schedule(
                env,
                c"wasmbeam_instantiate",
                SchedulerFlags::DirtyCpu,
                instantiate_dirty,
                &[module, imports, options],
            );
        }
        instantiate_now(env, &res, imports, options)
    })
}

raw::continuation!(instantiate_dirty, "instantiate", |env, [module, imports, options]| {
    match module_arg(module) {
        Ok(res) => instantiate_now(env, &res, imports, options),
        Err(failure) => failure.to_term(env),
    }
});

fn instantiate_now<'a>(env: Env<'a>, module: &ModuleRes, imports: Term<'a>, options: Term<'a>) -> Term<'a> {
    match build(env, module, imports, options) {
        Ok(instance) => (atoms::ok(), ResourceArc::new(instance)).encode(env),
        Err(failure) => failure.to_term(env),
    }
}

fn build<'a>(env: Env<'a>, module: &ModuleRes, imports: Term<'a>, options: Term<'a>) -> Result<InstanceRes, Failure> {
    let mut options = Options::decode(options)?;
    let mut store = Store::new(engine());
    store.set_limits(options.limits(store.limits()));
    let funs_env = OwnedEnv::new();
    let mut funs = Vec::new();
    let mut host_funcs = Vec::new();
    let mut host_results = Vec::new();
    let mut linker = Linker::new();
    if imports.get_type() != TermType::Map {
        return Err(bad_argument("the imports must be a map of module names to maps of field names to funs"));
    }
    let wasi = options.wasi.take();
    if let Some(setup) = &wasi {
        setup.wasi.add_to_linker(&mut linker, &mut store);
    }
    for (module_name, name, ty) in module.module.imports() {
        if wasi.is_some() && module_name == wasmbeam_wasi::MODULE {
            continue;
        }
        let ExternType::Func(func_type) = ty else {
            return Err(Failure::Link(format!(
                "`{module_name}` `{name}` is a {}: only functions can be imported from Erlang",
                ty.kind_name()
            )));
        };
        let fun = lookup(env, imports, module_name, name)?;
        host_results.push(Arc::from(&*func_type.results));
        let func = Func::new_suspending(&mut store, func_type);
        linker.define(module_name, name, func);
        host_funcs.push(func);
        funs.push(funs_env.save(fun));
    }
    let (instance, start) = linker.instantiate_without_start(&mut store, &module.module)?;
    let memory = instance
        .get_memory(&store, "memory")
        .or_else(|| instance.exports(&store).find_map(|(_, item)| item.into_memory()));
    Ok(InstanceRes {
        owner_hint: AtomicU64::new(0),
        state: Mutex::new(InstanceState {
            ownership: Ownership::default(),
            store,
            instance,
            host_funcs,
            host_results,
            funs_env,
            funs,
            start,
            memory,
            fuel_limit: options.fuel_limit,
            wasi,
            last_export: None,
        }),
        _live: Live::new(&stats::INSTANCES),
    })
}

/// The fun for import `module`.`name` in the imports map.
fn lookup<'a>(env: Env<'a>, imports: Term<'a>, module: &str, name: &str) -> Result<Term<'a>, Failure> {
    let unknown = || Failure::Link(format!("unknown import: `{module}` `{name}`"));
    let fields = imports.map_get(binary(env, module)).map_err(|_| unknown())?;
    if fields.get_type() != TermType::Map {
        return Err(bad_argument(format!("the imports of `{module}` must be a map of field names to funs")));
    }
    let fun = fields.map_get(binary(env, name)).map_err(|_| unknown())?;
    if fun.get_type() != TermType::Fun {
        return Err(bad_argument(format!("the import `{module}` `{name}` must be a fun of arity 2")));
    }
    Ok(fun)
}

fn binary<'a>(env: Env<'a>, s: &str) -> Term<'a> {
    s.encode(env)
}

/// Instance options.
#[derive(Default)]
struct Options {
    memory_limit: Option<u64>,
    fuel_limit: Option<u64>,
    stack_limit: Option<u64>,
    wasi: Option<WasiSetup>,
}

impl Options {
    fn decode(term: Term) -> Result<Options, Failure> {
        let iter = MapIterator::new(term).ok_or_else(|| bad_argument("the options must be a map"))?;
        let mut options = Options::default();
        for (key_term, value) in iter {
            let key: Atom = key_term.decode().map_err(|_| bad_argument("option names are atoms"))?;
            if key == atoms::memory_limit() {
                options.memory_limit = Some(non_negative(value, "memory_limit")?);
            } else if key == atoms::fuel_limit() {
                options.fuel_limit = fuel_limit(value)?;
            } else if key == atoms::stack_limit() {
                options.stack_limit = Some(non_negative(value, "stack_limit")?);
            } else if key == atoms::wasi() {
                options.wasi = Some(crate::wasi::decode(term.get_env(), value)?);
            } else {
                return Err(bad_argument(format!(
                    "unknown instance option `{}`",
                    key_term.atom_to_string().unwrap_or_default()
                )));
            }
        }
        Ok(options)
    }

    fn limits(&self, engine: StoreLimits) -> StoreLimits {
        let memory_bytes = self.memory_limit.unwrap_or(DEFAULT_MEMORY_LIMIT_BYTES);
        let stack = self.stack_limit.map_or(MAX_WASM_STACK, |s| usize::try_from(s).unwrap_or(usize::MAX));
        StoreLimits { max_memory_pages: memory_bytes / 65536, max_wasm_stack: stack, ..engine }
    }
}

fn non_negative(term: Term, name: &str) -> Result<u64, Failure> {
    term.decode::<u64>().map_err(|_| bad_argument(format!("{name} must be a non-negative integer (bytes)")))
}

/// A fuel limit: a positive integer, or `infinity` (`None`).
pub fn fuel_limit(term: Term) -> Result<Option<u64>, Failure> {
    if term.decode::<Atom>().is_ok_and(|a| a == atoms::infinity()) {
        return Ok(None);
    }
    match term.decode::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(bad_argument("fuel_limit must be a positive integer or infinity")),
    }
}

/// Calls `f` with a name given as a binary or an atom, without copying it
/// to the heap in the common cases (binaries; Latin-1 atoms up to 255
/// bytes).
pub fn with_name<R>(term: Term, f: impl FnOnce(&str) -> Result<R, Failure>) -> Result<R, Failure> {
    if let Ok(bin) = term.decode::<Binary>() {
        return f(std::str::from_utf8(bin.as_slice()).map_err(|_| bad_argument("names must be UTF-8"))?);
    }
    if term.get_type() != TermType::Atom {
        return Err(bad_argument("a name must be a binary or an atom"));
    }
    let mut buffer = [0u8; 256];
    // SAFETY: `term` is an atom of its env (checked above) and `buffer` has
    // room for `buffer.len()` bytes, which is what we pass.
    let written = unsafe {
        rustler::sys::enif_get_atom(
            term.get_env().as_c_arg(),
            term.as_c_arg(),
            buffer.as_mut_ptr().cast(),
            buffer.len() as rustler::sys::c_uint,
            rustler::sys::ErlNifCharEncoding::ERL_NIF_LATIN1,
        )
    };
    // `written` counts the terminating NUL; 0 means it did not fit (or is
    // not Latin-1).
    match usize::try_from(written) {
        Ok(n) if n > 0 && buffer[..n - 1].is_ascii() => {
            // ASCII is valid UTF-8.
            f(std::str::from_utf8(&buffer[..n - 1]).map_err(|_| bad_argument("bad atom"))?)
        }
        _ => f(&term.atom_to_string().map_err(|_| bad_argument("bad atom"))?),
    }
}

/// Reads a name given as a binary or an atom.
pub fn name_of(term: Term) -> Result<String, Failure> {
    with_name(term, |name| Ok(name.to_owned()))
}
