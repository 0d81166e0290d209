//! The on-disk cache of compiled modules ([`Config::cache_dir`]): a module
//! compiled whole is saved there ([`Module::serialize`]), under a name
//! made of the hash of its bytes and the hash of everything that decides
//! its code (the code generator's id, the compiler's settings, the CPU
//! features it may use), and the next [`Module::new`] of the same bytes
//! by an engine with the same settings loads it instead of compiling.
//!
//! The cache is best effort: an entry that cannot be read, is refused by
//! [`Module::deserialize`] (damaged, or from another build) or holds
//! other bytes (a hash collision) is compiled again and replaced, and a
//! failure to write is ignored. Entries are written to a temporary file
//! and renamed into place, so a reader never sees half of one, and
//! processes sharing the directory at once are fine.
//!
//! [`Config::cache_dir`]: crate::Config::cache_dir

use super::Module;
use crate::engine::Engine;
use crate::fnv::Fnv64;
use std::path::{Path, PathBuf};
use wasmbeam_jit::CODEGEN_ID;

/// Where the compiled form of `wasm` lives in `dir` for `engine`.
pub(super) fn entry(dir: &Path, engine: &Engine, wasm: &[u8]) -> PathBuf {
    let compiler = engine.compiler();
    let settings = Fnv64::new()
        .bytes(CODEGEN_ID.as_bytes())
        .bytes(&[0])
        .bytes(compiler.settings_key().as_bytes())
        .bytes(&[0])
        .bytes(compiler.cpu_features().join(",").as_bytes())
        .finish();
    dir.join(format!("{:016x}-{settings:016x}.wbm", Fnv64::of(wasm)))
}

/// The module of `wasm` from the cache entry `path`, if there is a good
/// one.
pub(super) fn load(engine: &Engine, path: &Path, wasm: &[u8]) -> Option<Module> {
    let bytes = std::fs::read(path).ok()?;
    // SAFETY: the cache directory holds what `store` wrote, and the
    // embedder who configured it vouches that nobody else can write there
    // (see `Config::cache_dir`); loading checks that it is intact and from
    // this build and configuration.
    let module = unsafe { Module::deserialize(engine, &bytes) }.ok()?;
    (module.wasm() == wasm).then_some(module)
}

/// Saves `module` as the cache entry `path`, if it can.
pub(super) fn store(module: &Module, path: &Path) {
    let Ok(bytes) = module.serialize() else { return };
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let temporary = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
    if std::fs::write(&temporary, &bytes).is_err() || std::fs::rename(&temporary, path).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}
