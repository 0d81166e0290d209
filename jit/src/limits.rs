//! Explicit limits on module size, checked after validation. The validator
//! already enforces the JS API's limits (e.g. 50,000 locals per function,
//! 7,654,321 bytes per function body, 1,000 results); these add the counts a
//! runtime must bound. Deeper control nesting than [`MAX_CONTROL_DEPTH`] is
//! refused by the translator.

pub const MAX_FUNCTIONS: usize = 1_000_000;
pub const MAX_TYPES: usize = 1_000_000;
pub const MAX_TABLES: usize = 100_000;
pub const MAX_MEMORIES: usize = 1;
pub const MAX_GLOBALS: usize = 1_000_000;
pub const MAX_ELEMENT_SEGMENTS: usize = 100_000;
pub const MAX_DATA_SEGMENTS: usize = 100_000;
/// Blocks, loops and ifs open at once in one function.
pub const MAX_CONTROL_DEPTH: usize = 100_000;
