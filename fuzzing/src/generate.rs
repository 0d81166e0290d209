//! wasm-smith configurations: [`executable_module`] for the oracles that run
//! code (only what wasmbeam supports, bounded, terminating), and
//! [`any_module`] for the compile oracle (every proposal wasm-smith knows,
//! to check that unsupported ones are refused cleanly).

use arbitrary::{Arbitrary, Unstructured};
use wasm_smith::{Config, Module};

/// Largest memory the executable modules declare: 10 pages (640 KiB), and
/// every memory has a maximum, so `memory.grow` fails at the same size in
/// both engines.
pub const MAX_MEMORY_BYTES: u64 = 10 << 16;
/// Most memories a module declares (multi-memory).
pub const MAX_MEMORIES: usize = 4;
/// Largest table; every table has a maximum.
pub const MAX_TABLE_ELEMENTS: u64 = 1_000;
/// Fuel range for wasm-smith's termination pass (a global decremented at
/// each function entry and loop iteration; `unreachable` when it is zero).
/// It is shared by all the calls made on one instance.
pub const FUEL: std::ops::RangeInclusive<u32> = 100..=2_000;

/// A module only using what wasmbeam supports (WebAssembly 2.0 without
/// SIMD, extended-const, tail calls, a few memories, 32- or 64-bit, and,
/// with `exceptions`, exception handling), with no imports, every item exported, NaNs
/// canonicalized after every float operation, bounded memories and tables
/// with maximums, and calls that terminate (wasm-smith's fuel global).
///
/// Which proposals, how many items and instructions, whether traps are
/// avoided: chosen by `u` (swarm testing, `Config::arbitrary`), then
/// restricted. With `trap_guards: false`, wasm-smith's `disallow_traps`
/// is always off: its guards (`select` of 1 when a divisor is zero, and
/// the like) trigger a bug of wasmi 2.0.0 that the differential oracle
/// would report as a mismatch on every such module (see
/// `tests/oracle_bugs.rs`).
///
/// SIMD is drawn for every oracle. `itself` (an oracle that compares
/// wasmbeam with itself) allows what wasmi cannot be compared on:
/// exception handling, which wasmi 2 has not, and relaxed SIMD, whose
/// results are each engine's choice.
pub fn executable_module(u: &mut Unstructured<'_>, trap_guards: bool, itself: bool) -> arbitrary::Result<Vec<u8>> {
    let mut config = Config::arbitrary(u)?;
    config.disallow_traps &= trap_guards;
    let (drawn_exceptions, drawn_relaxed) = (config.exceptions_enabled, config.relaxed_simd_enabled);
    restrict_to_wasmbeam(&mut config);
    config.exceptions_enabled = itself && drawn_exceptions;
    config.relaxed_simd_enabled = itself && drawn_relaxed && config.simd_enabled;
    config.max_imports = 0;
    config.min_funcs = 1;
    config.min_types = 1;
    config.max_types = config.max_types.max(1);
    config.max_funcs = config.max_funcs.clamp(1, 50);
    config.max_instructions = config.max_instructions.min(400);
    config.max_memory32_bytes = config.max_memory32_bytes.min(MAX_MEMORY_BYTES);
    config.max_memory64_bytes = config.max_memory64_bytes.min(u128::from(MAX_MEMORY_BYTES));
    config.memory_max_size_required = true;
    config.max_tables = config.max_tables.min(5);
    config.max_table_elements = config.max_table_elements.min(MAX_TABLE_ELEMENTS);
    config.table_max_size_required = true;
    config.max_data_segments = config.max_data_segments.min(20);
    config.max_element_segments = config.max_element_segments.min(20);
    config.max_elements = config.max_elements.min(100);
    config.canonicalize_nans = true;
    config.export_everything = true;
    let fuel = u.int_in_range(FUEL)?;
    let mut module = Module::new(config, u)?;
    // Fails only for function bodies wasm-smith did not generate itself
    // (`allow_invalid_funcs`), which is off.
    module.ensure_termination(fuel).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    Ok(module.to_bytes())
}

/// A module of any shape wasm-smith can make, with every proposal it knows
/// possibly on (SIMD, GC, exceptions, threads, memory64, tail calls, ...),
/// imports included: the compile oracle's input.
pub fn any_module(u: &mut Unstructured<'_>) -> arbitrary::Result<(Vec<u8>, bool)> {
    let mut config = Config::arbitrary(u)?;
    let supported = u.arbitrary::<bool>()?;
    if supported {
        restrict_to_wasmbeam(&mut config);
    }
    config.max_funcs = config.max_funcs.min(100);
    config.max_instructions = config.max_instructions.min(1_000);
    let module = Module::new(config, u)?;
    Ok((module.to_bytes(), supported))
}

/// Turns off every proposal wasmbeam does not implement (SIMD, relaxed
/// SIMD, extended-const, multi-memory, tail calls, memory64 and exception
/// handling stay as drawn). Only ever turns things off, so the config
/// stays consistent.
fn restrict_to_wasmbeam(config: &mut Config) {
    config.threads_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.gc_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.custom_page_sizes_enabled = false;
    config.compact_imports_enabled = false;
    config.custom_descriptors_enabled = false;
    config.multibyte_array_access_enabled = false;
    config.acquire_release_atomics_enabled = false;
    config.max_memories = config.max_memories.min(MAX_MEMORIES);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of 300 modules drawn from fixed pseudo-random bytes use an
    /// operator `is_of` picks, drawn with `itself` as given.
    fn modules_using(itself: bool, is_of: impl Fn(&wasmparser::Operator<'_>) -> bool) -> usize {
        let mut count = 0;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..300 {
            let data: Vec<u8> = (0..4096)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let Ok(wasm) = executable_module(&mut Unstructured::new(&data), true, itself) else { continue };
            let mut uses = false;
            for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
                if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
                    let Ok(mut reader) = body.get_operators_reader() else { continue };
                    while let Ok(op) = reader.read() {
                        uses |= is_of(&op);
                    }
                }
            }
            count += usize::from(uses);
        }
        count
    }

    #[test]
    fn exception_handling_is_drawn_only_where_allowed() {
        use wasmparser::Operator::{Throw, TryTable};
        let try_tables = |itself| modules_using(itself, |op| matches!(op, TryTable { .. }));
        let throws = |itself| modules_using(itself, |op| matches!(op, Throw { .. }));
        assert!(
            try_tables(true) > 10 && throws(true) > 10,
            "{} with try_table, {} with throw",
            try_tables(true),
            throws(true)
        );
        assert_eq!((try_tables(false), throws(false)), (0, 0));
    }

    #[test]
    fn simd_is_drawn_everywhere_and_relaxed_simd_only_against_itself() {
        use wasmparser::Operator::{F32x4RelaxedMadd, I32x4Add, I8x16RelaxedSwizzle, V128Const};
        let simd = |itself| modules_using(itself, |op| matches!(op, V128Const { .. } | I32x4Add));
        let relaxed = |itself| modules_using(itself, |op| matches!(op, F32x4RelaxedMadd | I8x16RelaxedSwizzle));
        assert!(simd(false) > 10 && simd(true) > 10, "{} and {} modules with SIMD", simd(false), simd(true));
        assert!(relaxed(true) > 0, "no module with relaxed SIMD");
        assert_eq!(relaxed(false), 0);
    }
}
