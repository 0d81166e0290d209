//! Getting module bytes from disk or memory, in either WebAssembly format.
//!
//! The runtime only accepts the binary format. These helpers accept both and
//! decide by content, not by file name: bytes that start with the binary
//! magic `\0asm` are binary, anything else is text (`.wat`) and is converted
//! with the `wat` crate.

use crate::{Engine, Module};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The four bytes every binary module starts with.
const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// Why a module could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are neither a binary module nor well-formed text.
    #[error("{0}")]
    Text(#[from] wat::Error),
    /// The binary was rejected by the engine (invalid, unsupported, ...).
    #[error("{0}")]
    Module(#[from] crate::Error),
}

/// Returns the binary encoding of `bytes`: borrowed when they already are a
/// binary module, converted from the text format otherwise.
pub fn to_binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, LoadError> {
    if bytes.starts_with(WASM_MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    Ok(Cow::Owned(wat::parse_bytes(bytes)?.into_owned()))
}

/// Reads a `.wasm` or `.wat` file (detected by content) and returns the
/// binary module. Text errors carry the file name and position.
pub fn read_wasm(path: impl AsRef<Path>) -> Result<Vec<u8>, LoadError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io { path: path.to_owned(), source })?;
    if bytes.starts_with(WASM_MAGIC) {
        return Ok(bytes);
    }
    Ok(wat::Parser::new().parse_bytes(Some(path), &bytes)?.into_owned())
}

/// Validates and compiles a module given in either format.
pub fn load_module(engine: &Engine, bytes: &[u8]) -> Result<Module, LoadError> {
    let binary = to_binary(bytes)?;
    Ok(Module::new(engine, &binary)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_converted_and_binary_is_borrowed() {
        let binary = to_binary(b"(module (func (export \"f\")))").expect("valid text");
        assert!(binary.starts_with(WASM_MAGIC));
        assert!(matches!(to_binary(&binary).expect("binary"), Cow::Borrowed(_)));
    }

    #[test]
    fn malformed_text_is_an_error() {
        let err = to_binary(b"(module (func (i32.bogus)))").unwrap_err();
        assert!(matches!(err, LoadError::Text(_)), "{err}");
    }
}
