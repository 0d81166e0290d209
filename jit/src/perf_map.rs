//! Names compiled functions for `perf`: with `WASMBEAM_PERF_MAP` set (to
//! anything but `0` or the empty string), every function placed in
//! executable memory gets a line `START SIZE NAME` in `/tmp/perf-PID.map`,
//! the file `perf report` reads to symbolize code it found no ELF for.
//!
//! Names come from the module's `name` section when it has one
//! (`wasm[INDEX] NAME`, INDEX counting imports), else `wasm[INDEX]`. The map
//! only grows: code freed with its module keeps its lines, which is what
//! perf expects of a process whose address space is reused rarely.

use crate::module_info::ModuleInfo;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};
use wasmparser::{KnownCustom, Name, Parser, Payload};

/// The open map, if profiling was asked for and the file could be opened.
fn map_file() -> Option<&'static Mutex<File>> {
    static FILE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    FILE.get_or_init(|| {
        let wanted = std::env::var_os("WASMBEAM_PERF_MAP").is_some_and(|v| !v.is_empty() && v != "0");
        if !wanted {
            return None;
        }
        let path = format!("/tmp/perf-{}.map", std::process::id());
        OpenOptions::new().create(true).append(true).open(path).ok().map(Mutex::new)
    })
    .as_ref()
}

/// Whether compiled code is being recorded in a perf map.
pub fn enabled() -> bool {
    map_file().is_some()
}

/// One function placed in executable memory.
pub(crate) struct Placed {
    /// Defined index (imports not counted).
    pub defined: u32,
    pub address: usize,
    pub len: usize,
}

/// Adds `functions` of the module `info` (parsed from `wasm`) to the map.
/// Does nothing unless [`enabled`]; failures to write are ignored (the map
/// is a profiling aid, never needed to run).
pub(crate) fn record(info: &ModuleInfo, wasm: &[u8], functions: impl IntoIterator<Item = Placed>) {
    let Some(file) = map_file() else { return };
    let names = function_names(wasm);
    let mut text = String::new();
    for f in functions {
        let index = f.defined + info.num_imported_functions;
        let name = names.get(&index).map(String::as_str).unwrap_or("");
        text.push_str(&format!("{:x} {:x} wasm[{index}] {name}\n", f.address, f.len));
    }
    // Writing never leaves the file in a state later writes depend on.
    let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = file.write_all(text.as_bytes());
}

/// The function names of `wasm`'s name section (empty if it has none or it
/// is malformed: names are optional, and a bad one must not stop a profile),
/// made [`printable`].
fn function_names(wasm: &[u8]) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CustomSection(section)) = payload else { continue };
        let KnownCustom::Name(reader) = section.as_known() else { continue };
        for name in reader.into_iter().flatten() {
            if let Name::Function(map) = name {
                for naming in map.into_iter().flatten() {
                    names.insert(naming.index, printable(naming.name));
                }
            }
        }
    }
    names
}

/// `name` with its control characters (a newline would end the map's line
/// early and make the rest a line of its own) replaced by `?`.
fn printable(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_name_section_and_stay_on_one_line() {
        let wasm = wat::parse_str(
            r#"(module (import "m" "f" (func $imported)) (func $plain) (func $lines (@name "a\nb\tc")) (func))"#,
        )
        .unwrap();
        let names = function_names(&wasm);
        assert_eq!(names.get(&0).map(String::as_str), Some("imported"));
        assert_eq!(names.get(&1).map(String::as_str), Some("plain"));
        assert_eq!(names.get(&2).map(String::as_str), Some("a?b?c"));
        assert_eq!(names.get(&3), None);
        assert!(function_names(&wat::parse_str("(module (func))").unwrap()).is_empty());
    }
}
