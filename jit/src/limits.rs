//! Explicit limits on module size, checked after validation. The validator
//! already enforces the JS API's limits (e.g. 50,000 locals per function,
//! 7,654,321 bytes per function body, 1,000 results); these add the counts a
//! runtime must bound. Deeper control nesting than [`MAX_CONTROL_DEPTH`] is
//! refused by the translator, and so are larger resume records than
//! [`MAX_RECORD_SLOTS`], larger record areas than [`MAX_AREA_SLOTS`] and more loop nesting around resume points than
//! [`MAX_RESUME_HOPS`] allows.

pub const MAX_FUNCTIONS: usize = 1_000_000;
pub const MAX_TYPES: usize = 1_000_000;
pub const MAX_TABLES: usize = 100_000;
/// As the validator allows with multi-memory.
pub const MAX_MEMORIES: usize = 100;
pub const MAX_GLOBALS: usize = 1_000_000;
/// The validator's own limit on tags.
pub const MAX_TAGS: usize = 1_000_000;
pub const MAX_ELEMENT_SEGMENTS: usize = 100_000;
pub const MAX_DATA_SEGMENTS: usize = 100_000;
/// Blocks, loops and ifs open at once in one function.
pub const MAX_CONTROL_DEPTH: usize = 100_000;

/// Words one resume point of a function compiled with reductions may save
/// (its locals, then its operand stack: a word per value, two for a
/// `v128`). Each of them is live across every
/// resume point of the function, and Cranelift's compile time grows faster
/// than linearly with that count: about 0.2 s at 1,000 locals, 1.2 s at
/// 3,000, 10 s at 10,000 and a minute at 23,000 (three resume points, on a
/// 2-core VM), where the validator alone would allow 50,000 locals. Without
/// reductions nothing is saved and this limit does not apply.
pub const MAX_RECORD_SLOTS: usize = 4096;

/// Words of a function's record area (see `translate/frame.rs`): one per
/// local saved at some resume point, one per operand stack depth saved at
/// some call, one for a `call_indirect`'s callee. The area is part of the
/// function's native stack frame, so this bounds the frame's growth at
/// 64 KiB, half of what the runtime keeps free below the stack limit.
pub const MAX_AREA_SLOTS: usize = 8192;

/// Loop headers the restore paths of a function compiled with reductions
/// pass through, summed over its resume points (a point inside `d` nested
/// loops counts `d`). The hop code grows with it, so with the square of
/// loop nesting: 1,000 nested loops took 10 s to compile into 4 MB of code
/// and 3,000 took 150 s, 37 MB and 8 GB of memory. 100,000 allows, say,
/// 10,000 calls inside 10 nested loops, or about 440 nested loops with a
/// point in each.
pub const MAX_RESUME_HOPS: usize = 100_000;
