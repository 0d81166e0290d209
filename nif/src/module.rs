//! Compiled modules: `compile/1`, and their imports and exports.

use crate::engine::engine;
use crate::error::{bad_argument, guard, ok_or_error, Failure};
use crate::raw;
use crate::stats::{self, Live};
use crate::types::extern_type;
use rustler::{Binary, Encoder, Env, Resource, ResourceArc, SchedulerFlags, Term};
use wasmbeam_runtime::Module;

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

/// `compile(Bytes)`: a binary module (starting with `\0asm`) or WAT text.
#[rustler::nif]
fn compile<'a>(env: Env<'a>, source: Term<'a>) -> Term<'a> {
    guard(env, || {
        let Ok(bytes) = source.decode::<Binary>() else {
            return bad_argument("the module must be a binary (Wasm bytes or WAT text)").to_term(env);
        };
        if bytes.len() <= INLINE_COMPILE_BYTES {
            let began = std::time::Instant::now();
            let result = compile_now(env, bytes.as_slice());
            rustler::schedule::consume_timeslice(env, crate::pacing::timeslice_percent(began.elapsed()));
            return result;
        }
        raw::schedule(env, c"wasmbeam_compile", SchedulerFlags::DirtyCpu, compile_dirty, &[source])
    })
}

// The rest of `compile/1`, on a dirty CPU scheduler.
raw::continuation!(compile_dirty, "compile", |env, [source]| match source.decode::<Binary>() {
    Ok(bytes) => compile_now(env, bytes.as_slice()),
    Err(_) => bad_argument("the module must be a binary").to_term(env),
});

fn compile_now<'a>(env: Env<'a>, source: &[u8]) -> Term<'a> {
    ok_or_error(env, compile_bytes(source).map(|res| ResourceArc::new(res).encode(env)))
}

fn compile_bytes(source: &[u8]) -> Result<ModuleRes, Failure> {
    let wasm = if source.starts_with(b"\0asm") {
        std::borrow::Cow::Borrowed(source)
    } else {
        let text = wat::parse_bytes(source).map_err(|e| Failure::InvalidModule(e.to_string()))?;
        std::borrow::Cow::Owned(text.into_owned())
    };
    let module = Module::new(engine(), &wasm)?;
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
