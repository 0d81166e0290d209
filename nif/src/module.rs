//! Compiled modules: `compile/1`, and their imports and exports.

use crate::atoms;
use crate::engine::engine;
use crate::error::{bad_argument, guard, ok_or_error, Failure};
use crate::raw;
use crate::stats::{self, Live};
use crate::types::extern_type;
use rustler::{Binary, Encoder, Env, Resource, ResourceArc, SchedulerFlags, Term};
use wasmbeam_runtime::{Compilation, Module};

/// A validated, compiled module. Immutable; shared by all its instances and
/// by any number of processes.
pub struct ModuleRes {
    pub module: Module,
    /// Bytes of the binary it was compiled from: instantiating copies its
    /// data segments, so a large module is instantiated on a dirty
    /// scheduler.
    pub wasm_len: usize,
    _live: Live,
}

#[rustler::resource_impl]
impl Resource for ModuleRes {}

/// Inputs up to this size compile on the calling (normal) scheduler:
/// compiling costs about 50 us per function, so this stays well under a
/// millisecond (a 34-byte module takes about 90 us). Larger ones move to a
/// dirty CPU scheduler.
const INLINE_COMPILE_BYTES: usize = 256;

/// `compile(Bytes, Lazy)`: a binary module (starting with `\0asm`) or WAT
/// text; `Lazy` is `auto` (by size), `true` (each function on its first
/// call) or `false` (whole, now).
#[rustler::nif]
fn compile<'a>(env: Env<'a>, source: Term<'a>, lazy: Term<'a>) -> Term<'a> {
    guard(env, || {
        let Ok(bytes) = source.decode::<Binary>() else {
            return bad_argument("the module must be a binary (Wasm bytes or WAT text)").to_term(env);
        };
        if let Err(failure) = compilation(lazy) {
            return failure.to_term(env);
        }
        if bytes.len() <= INLINE_COMPILE_BYTES {
            let began = std::time::Instant::now();
            let result = compile_now(env, bytes.as_slice(), lazy);
            rustler::schedule::consume_timeslice(env, crate::pacing::timeslice_percent(began.elapsed()));
            return result;
        }
        raw::schedule(env, c"wasmbeam_compile", SchedulerFlags::DirtyCpu, compile_dirty, &[source, lazy])
    })
}

// The rest of `compile/2`, on a dirty CPU scheduler.
raw::continuation!(compile_dirty, "compile", |env, [source, lazy]| match source.decode::<Binary>() {
    Ok(bytes) => compile_now(env, bytes.as_slice(), lazy),
    Err(_) => bad_argument("the module must be a binary").to_term(env),
});

/// The `Lazy` argument of `compile/2`.
fn compilation(lazy: Term) -> Result<Compilation, Failure> {
    if lazy == atoms::auto().to_term(lazy.get_env()) {
        return Ok(Compilation::Auto);
    }
    match lazy.decode::<bool>() {
        Ok(true) => Ok(Compilation::Lazy),
        Ok(false) => Ok(Compilation::Eager),
        Err(_) => Err(bad_argument("the lazy option must be true, false or auto")),
    }
}

fn compile_now<'a>(env: Env<'a>, source: &[u8], lazy: Term<'a>) -> Term<'a> {
    let compiled = compilation(lazy).and_then(|how| compile_bytes(source, how));
    ok_or_error(env, compiled.map(|res| ResourceArc::new(res).encode(env)))
}

fn compile_bytes(source: &[u8], how: Compilation) -> Result<ModuleRes, Failure> {
    let wasm = if source.starts_with(b"\0asm") {
        std::borrow::Cow::Borrowed(source)
    } else {
        let text = wat::parse_bytes(source).map_err(|e| Failure::InvalidModule(e.to_string()))?;
        std::borrow::Cow::Owned(text.into_owned())
    };
    let module = Module::with_compilation(engine(), &wasm, how)?;
    Ok(ModuleRes { module, wasm_len: wasm.len(), _live: Live::new(&stats::MODULES) })
}

/// The module a NIF was given.
pub fn module_arg(term: Term) -> Result<ResourceArc<ModuleRes>, Failure> {
    term.decode().map_err(|_| bad_argument("not a module"))
}

/// `module_exports(Module)` → `{ok, [{Name, Type}]}` in export order.
#[rustler::nif]
fn module_exports<'a>(env: Env<'a>, module: Term<'a>) -> Term<'a> {
    guard(env, || {
        let exports = module_arg(module).map(|module| {
            let list: Vec<Term<'a>> =
                module.module.exports().map(|(name, ty)| (name, extern_type(env, &ty)).encode(env)).collect();
            list.encode(env)
        });
        ok_or_error(env, exports)
    })
}

/// `module_imports(Module)` → `{ok, [{Module, Name, Type}]}` in import order.
#[rustler::nif]
fn module_imports<'a>(env: Env<'a>, module: Term<'a>) -> Term<'a> {
    guard(env, || {
        let imports = module_arg(module).map(|module| {
            let list: Vec<Term<'a>> =
                module.module.imports().map(|(m, name, ty)| (m, name, extern_type(env, &ty)).encode(env)).collect();
            list.encode(env)
        });
        ok_or_error(env, imports)
    })
}

/// Compiled code up to this size serializes on the calling scheduler
/// (copying and hashing 64 KiB takes tens of microseconds); larger
/// modules move to a dirty CPU scheduler, as does every load (it validates
/// the module again).
const INLINE_SERIALIZE_BYTES: usize = 64 * 1024;

/// `module_serialize(Module)` → `{ok, Binary}`: the compiled module, for
/// `module_deserialize/1` in this or another node running the same build.
#[rustler::nif]
fn module_serialize<'a>(env: Env<'a>, module: Term<'a>) -> Term<'a> {
    guard(env, || {
        let res = match module_arg(module) {
            Ok(res) => res,
            Err(e) => return e.to_term(env),
        };
        if res.module.code_size() <= INLINE_SERIALIZE_BYTES {
            return serialize_now(env, &res);
        }
        raw::schedule(env, c"wasmbeam_serialize", SchedulerFlags::DirtyCpu, serialize_dirty, &[module])
    })
}

raw::continuation!(serialize_dirty, "module_serialize", |env, [module]| match module_arg(module) {
    Ok(res) => serialize_now(env, &res),
    Err(e) => e.to_term(env),
});

fn serialize_now<'a>(env: Env<'a>, res: &ModuleRes) -> Term<'a> {
    let bytes = res.module.serialize().map_err(Failure::from).map(|bytes| {
        let mut binary = rustler::NewBinary::new(env, bytes.len());
        binary.as_mut_slice().copy_from_slice(&bytes);
        Binary::from(binary).encode(env)
    });
    ok_or_error(env, bytes)
}

/// `module_deserialize(Binary)` → `{ok, Module}`, on a dirty CPU
/// scheduler. The Erlang API documents the trust this needs: the machine
/// code in the binary runs as it is.
#[rustler::nif]
fn module_deserialize<'a>(env: Env<'a>, bytes: Term<'a>) -> Term<'a> {
    guard(env, || {
        if bytes.decode::<Binary>().is_err() {
            return bad_argument("a serialized module must be a binary").to_term(env);
        }
        raw::schedule(env, c"wasmbeam_deserialize", SchedulerFlags::DirtyCpu, deserialize_dirty, &[bytes])
    })
}

raw::continuation!(deserialize_dirty, "module_deserialize", |env, [bytes]| match bytes.decode::<Binary>() {
    Ok(bytes) => deserialize_now(env, bytes.as_slice()),
    Err(_) => bad_argument("a serialized module must be a binary").to_term(env),
});

fn deserialize_now<'a>(env: Env<'a>, bytes: &[u8]) -> Term<'a> {
    // SAFETY: `wasmbeam:deserialize/1` documents that its argument must come
    // from `wasmbeam:serialize/1` (or a cache or build step the caller
    // trusts like a NIF library): the bytes' machine code runs in this VM.
    // Everything else about them is checked while loading.
    let loaded = unsafe { Module::deserialize(engine(), bytes) };
    let res = loaded.map_err(Failure::from).map(|module| {
        let wasm_len = module.wasm().len();
        ResourceArc::new(ModuleRes { module, wasm_len, _live: Live::new(&stats::MODULES) }).encode(env)
    });
    ok_or_error(env, res)
}
