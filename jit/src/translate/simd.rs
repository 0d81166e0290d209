//! The `match` over SIMD operators (128-bit `v128` and relaxed SIMD).
//!
//! Every `v128` is an `i8x16` on the operand stack, in locals and in
//! records (see `abi::ir_type`): an operator bitcasts its operands to the
//! lane shape it works on and its result back, which costs no instruction.
//!
//! Relaxed SIMD gets one deterministic choice per instruction, the same on
//! every architecture (so a suspended call moved between x86_64 and aarch64
//! computes the same): each is its strict counterpart where one exists.
//! - `i8x16.relaxed_swizzle`: `i8x16.swizzle` (an index past 15 gives 0);
//! - `i32x4.relaxed_trunc_*`: the saturating truncations (NaN gives 0);
//! - `f32x4`/`f64x2.relaxed_madd` and `relaxed_nmadd`: not fused, a
//!   multiplication rounded, then an addition (`a * b + c`, `-(a * b) + c`);
//! - `*.relaxed_laneselect`: `v128.bitselect`, bit by bit;
//! - `f32x4`/`f64x2.relaxed_min` and `relaxed_max`: `min` and `max` (NaN
//!   propagates, -0 below +0);
//! - `i16x8.relaxed_q15mulr_s`: `i16x8.q15mulr_sat_s`;
//! - `i16x8.relaxed_dot_i8x16_i7x16_s`: both operands signed, the products'
//!   pairwise sums wrapping in 16 bits; `i32x4.relaxed_dot_i8x16_i7x16_add_s`:
//!   the same sums, widened, added pairwise in 32 bits, plus the addend.

use super::Translation;
use crate::error::CompileError;
use crate::module_info::ValType;
use cranelift_codegen::ir::{
    condcodes::FloatCC, condcodes::IntCC, types, ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value,
};
use cranelift_codegen::isa::TargetIsa;
use wasmparser::{MemArg, Operator};

const I8X16: Type = types::I8X16;
const I16X8: Type = types::I16X8;
const I32X4: Type = types::I32X4;
const I64X2: Type = types::I64X2;
const F32X4: Type = types::F32X4;
const F64X2: Type = types::F64X2;

/// The vector shape whose lanes are of scalar type `lane`.
fn shape(lane: Type) -> Type {
    match lane {
        types::I8 => I8X16,
        types::I16 => I16X8,
        types::I32 => I32X4,
        types::I64 => I64X2,
        types::F32 => F32X4,
        _ => F64X2,
    }
}

/// Flags for bitcasts between vector shapes: lanes in memory order.
fn lanes_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Whether `isa` has what SIMD operators are compiled to: on x86_64, SSE4.1
/// (and SSSE3: every x86_64 CPU since 2008 has both); on aarch64, NEON,
/// which every aarch64 CPU has. Cranelift only emits instructions the ISA's
/// flags allow, so without them a function with a SIMD operator is refused
/// with [`CompileError::Unsupported`] rather than compiled into code this
/// CPU cannot run.
pub(super) fn vector_isa(isa: &dyn TargetIsa) -> bool {
    if isa.triple().architecture != target_lexicon::Architecture::X86_64 {
        return true;
    }
    let on = |name: &str| isa.isa_flags().iter().any(|f| f.name == name && f.as_bool() == Some(true));
    on("has_ssse3") && on("has_sse41")
}

impl Translation<'_, '_> {
    /// Translates a SIMD operator; `Ok(false)` if `op` is none.
    pub(super) fn simd_operator(&mut self, op: &Operator<'_>) -> Result<bool, CompileError> {
        use Operator::*;
        // Every operator the scalar match leaves is a SIMD one (the
        // validator lets no other through).
        if !self.vector_isa {
            return Err(CompileError::Unsupported(format!(
                "operator {op:?}: SIMD needs SSSE3 and SSE4.1 on x86_64, which this CPU (or target) lacks"
            )));
        }
        match *op {
            // ----- memory ----------------------------------------------------
            V128Load { memarg } => self.vector_load(memarg, I8X16, 16, VectorLoad::Whole),
            V128Load8x8S { memarg } => self.vector_load(memarg, I16X8, 8, VectorLoad::Signed),
            V128Load8x8U { memarg } => self.vector_load(memarg, I16X8, 8, VectorLoad::Unsigned),
            V128Load16x4S { memarg } => self.vector_load(memarg, I32X4, 8, VectorLoad::Signed),
            V128Load16x4U { memarg } => self.vector_load(memarg, I32X4, 8, VectorLoad::Unsigned),
            V128Load32x2S { memarg } => self.vector_load(memarg, I64X2, 8, VectorLoad::Signed),
            V128Load32x2U { memarg } => self.vector_load(memarg, I64X2, 8, VectorLoad::Unsigned),
            V128Load8Splat { memarg } => self.vector_load(memarg, I8X16, 1, VectorLoad::Splat),
            V128Load16Splat { memarg } => self.vector_load(memarg, I16X8, 2, VectorLoad::Splat),
            V128Load32Splat { memarg } => self.vector_load(memarg, I32X4, 4, VectorLoad::Splat),
            V128Load64Splat { memarg } => self.vector_load(memarg, I64X2, 8, VectorLoad::Splat),
            V128Load32Zero { memarg } => self.vector_load(memarg, I32X4, 4, VectorLoad::Zero),
            V128Load64Zero { memarg } => self.vector_load(memarg, I64X2, 8, VectorLoad::Zero),
            V128Store { memarg } => {
                let value = self.pop();
                let address = self.vector_address(memarg, 16);
                let flags = self.env.heap_flags();
                self.b.ins().store(flags, value, address, 0);
            }
            V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8X16, lane),
            V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16X8, lane),
            V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32X4, lane),
            V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64X2, lane),
            V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8X16, lane),
            V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16X8, lane),
            V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32X4, lane),
            V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64X2, lane),

            // ----- constants, lanes, shuffles --------------------------------
            V128Const { value } => {
                let v = self.vector_const(value.bytes());
                self.push_vector(v);
            }
            I8x16Shuffle { lanes } => {
                let (x, y) = self.pop_vectors(I8X16);
                let mask = self.b.func.dfg.immediates.push(ConstantData::from(lanes.to_vec()));
                let v = self.b.ins().shuffle(x, y, mask);
                self.push_vector(v);
            }
            I8x16Swizzle | I8x16RelaxedSwizzle => self.vector_binary(I8X16, |b, x, y| b.ins().swizzle(x, y)),
            I8x16Splat | I16x8Splat | I32x4Splat | I64x2Splat | F32x4Splat | F64x2Splat => {
                let lane = match *op {
                    I8x16Splat => types::I8,
                    I16x8Splat => types::I16,
                    I32x4Splat => types::I32,
                    I64x2Splat => types::I64,
                    F32x4Splat => types::F32,
                    _ => types::F64,
                };
                let x = self.pop();
                let x = if lane.bits() < 32 { self.b.ins().ireduce(lane, x) } else { x };
                let v = self.b.ins().splat(shape(lane), x);
                self.push_vector(v);
            }
            I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Some(true)),
            I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Some(false)),
            I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Some(true)),
            I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Some(false)),
            I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, None),
            I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, None),
            F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, None),
            F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, None),
            I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane),
            I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane),
            I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane),
            I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane),
            F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane),
            F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane),

            // ----- comparisons -----------------------------------------------
            I8x16Eq => self.vector_icmp(I8X16, IntCC::Equal),
            I8x16Ne => self.vector_icmp(I8X16, IntCC::NotEqual),
            I8x16LtS => self.vector_icmp(I8X16, IntCC::SignedLessThan),
            I8x16LtU => self.vector_icmp(I8X16, IntCC::UnsignedLessThan),
            I8x16GtS => self.vector_icmp(I8X16, IntCC::SignedGreaterThan),
            I8x16GtU => self.vector_icmp(I8X16, IntCC::UnsignedGreaterThan),
            I8x16LeS => self.vector_icmp(I8X16, IntCC::SignedLessThanOrEqual),
            I8x16LeU => self.vector_icmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            I8x16GeS => self.vector_icmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            I8x16GeU => self.vector_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            I16x8Eq => self.vector_icmp(I16X8, IntCC::Equal),
            I16x8Ne => self.vector_icmp(I16X8, IntCC::NotEqual),
            I16x8LtS => self.vector_icmp(I16X8, IntCC::SignedLessThan),
            I16x8LtU => self.vector_icmp(I16X8, IntCC::UnsignedLessThan),
            I16x8GtS => self.vector_icmp(I16X8, IntCC::SignedGreaterThan),
            I16x8GtU => self.vector_icmp(I16X8, IntCC::UnsignedGreaterThan),
            I16x8LeS => self.vector_icmp(I16X8, IntCC::SignedLessThanOrEqual),
            I16x8LeU => self.vector_icmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            I16x8GeS => self.vector_icmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            I16x8GeU => self.vector_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            I32x4Eq => self.vector_icmp(I32X4, IntCC::Equal),
            I32x4Ne => self.vector_icmp(I32X4, IntCC::NotEqual),
            I32x4LtS => self.vector_icmp(I32X4, IntCC::SignedLessThan),
            I32x4LtU => self.vector_icmp(I32X4, IntCC::UnsignedLessThan),
            I32x4GtS => self.vector_icmp(I32X4, IntCC::SignedGreaterThan),
            I32x4GtU => self.vector_icmp(I32X4, IntCC::UnsignedGreaterThan),
            I32x4LeS => self.vector_icmp(I32X4, IntCC::SignedLessThanOrEqual),
            I32x4LeU => self.vector_icmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            I32x4GeS => self.vector_icmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            I32x4GeU => self.vector_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            I64x2Eq => self.vector_icmp(I64X2, IntCC::Equal),
            I64x2Ne => self.vector_icmp(I64X2, IntCC::NotEqual),
            I64x2LtS => self.vector_icmp(I64X2, IntCC::SignedLessThan),
            I64x2GtS => self.vector_icmp(I64X2, IntCC::SignedGreaterThan),
            I64x2LeS => self.vector_icmp(I64X2, IntCC::SignedLessThanOrEqual),
            I64x2GeS => self.vector_icmp(I64X2, IntCC::SignedGreaterThanOrEqual),
            F32x4Eq => self.vector_fcmp(F32X4, FloatCC::Equal),
            F32x4Ne => self.vector_fcmp(F32X4, FloatCC::NotEqual),
            F32x4Lt => self.vector_fcmp(F32X4, FloatCC::LessThan),
            F32x4Gt => self.vector_fcmp(F32X4, FloatCC::GreaterThan),
            F32x4Le => self.vector_fcmp(F32X4, FloatCC::LessThanOrEqual),
            F32x4Ge => self.vector_fcmp(F32X4, FloatCC::GreaterThanOrEqual),
            F64x2Eq => self.vector_fcmp(F64X2, FloatCC::Equal),
            F64x2Ne => self.vector_fcmp(F64X2, FloatCC::NotEqual),
            F64x2Lt => self.vector_fcmp(F64X2, FloatCC::LessThan),
            F64x2Gt => self.vector_fcmp(F64X2, FloatCC::GreaterThan),
            F64x2Le => self.vector_fcmp(F64X2, FloatCC::LessThanOrEqual),
            F64x2Ge => self.vector_fcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // ----- bitwise ---------------------------------------------------
            V128Not => self.vector_unary(I8X16, |b, x| b.ins().bnot(x)),
            V128And => self.vector_binary(I8X16, |b, x, y| b.ins().band(x, y)),
            V128AndNot => self.vector_binary(I8X16, |b, x, y| b.ins().band_not(x, y)),
            V128Or => self.vector_binary(I8X16, |b, x, y| b.ins().bor(x, y)),
            V128Xor => self.vector_binary(I8X16, |b, x, y| b.ins().bxor(x, y)),
            V128Bitselect
            | I8x16RelaxedLaneselect
            | I16x8RelaxedLaneselect
            | I32x4RelaxedLaneselect
            | I64x2RelaxedLaneselect => {
                let mask = self.pop();
                let (x, y) = self.pop_vectors(I8X16);
                let v = self.b.ins().bitselect(mask, x, y);
                self.push_vector(v);
            }
            V128AnyTrue => {
                let x = self.pop();
                let c = self.b.ins().vany_true(x);
                self.push_bool(c);
            }
            I8x16AllTrue => self.all_true(I8X16),
            I16x8AllTrue => self.all_true(I16X8),
            I32x4AllTrue => self.all_true(I32X4),
            I64x2AllTrue => self.all_true(I64X2),
            I8x16Bitmask => self.bitmask(I8X16),
            I16x8Bitmask => self.bitmask(I16X8),
            I32x4Bitmask => self.bitmask(I32X4),
            I64x2Bitmask => self.bitmask(I64X2),

            // ----- integer arithmetic ----------------------------------------
            I8x16Abs => self.vector_unary(I8X16, |b, x| b.ins().iabs(x)),
            I16x8Abs => self.vector_unary(I16X8, |b, x| b.ins().iabs(x)),
            I32x4Abs => self.vector_unary(I32X4, |b, x| b.ins().iabs(x)),
            I64x2Abs => self.vector_unary(I64X2, |b, x| b.ins().iabs(x)),
            I8x16Neg => self.vector_unary(I8X16, |b, x| b.ins().ineg(x)),
            I16x8Neg => self.vector_unary(I16X8, |b, x| b.ins().ineg(x)),
            I32x4Neg => self.vector_unary(I32X4, |b, x| b.ins().ineg(x)),
            I64x2Neg => self.vector_unary(I64X2, |b, x| b.ins().ineg(x)),
            I8x16Popcnt => self.vector_unary(I8X16, |b, x| b.ins().popcnt(x)),
            I8x16Add => self.vector_binary(I8X16, |b, x, y| b.ins().iadd(x, y)),
            I16x8Add => self.vector_binary(I16X8, |b, x, y| b.ins().iadd(x, y)),
            I32x4Add => self.vector_binary(I32X4, |b, x, y| b.ins().iadd(x, y)),
            I64x2Add => self.vector_binary(I64X2, |b, x, y| b.ins().iadd(x, y)),
            I8x16Sub => self.vector_binary(I8X16, |b, x, y| b.ins().isub(x, y)),
            I16x8Sub => self.vector_binary(I16X8, |b, x, y| b.ins().isub(x, y)),
            I32x4Sub => self.vector_binary(I32X4, |b, x, y| b.ins().isub(x, y)),
            I64x2Sub => self.vector_binary(I64X2, |b, x, y| b.ins().isub(x, y)),
            I16x8Mul => self.vector_binary(I16X8, |b, x, y| b.ins().imul(x, y)),
            I32x4Mul => self.vector_binary(I32X4, |b, x, y| b.ins().imul(x, y)),
            I64x2Mul => self.vector_binary(I64X2, |b, x, y| b.ins().imul(x, y)),
            I8x16AddSatS => self.vector_binary(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            I8x16AddSatU => self.vector_binary(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            I16x8AddSatS => self.vector_binary(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            I16x8AddSatU => self.vector_binary(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            I8x16SubSatS => self.vector_binary(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            I8x16SubSatU => self.vector_binary(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            I16x8SubSatS => self.vector_binary(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            I16x8SubSatU => self.vector_binary(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            I8x16MinS => self.vector_binary(I8X16, |b, x, y| b.ins().smin(x, y)),
            I8x16MinU => self.vector_binary(I8X16, |b, x, y| b.ins().umin(x, y)),
            I8x16MaxS => self.vector_binary(I8X16, |b, x, y| b.ins().smax(x, y)),
            I8x16MaxU => self.vector_binary(I8X16, |b, x, y| b.ins().umax(x, y)),
            I16x8MinS => self.vector_binary(I16X8, |b, x, y| b.ins().smin(x, y)),
            I16x8MinU => self.vector_binary(I16X8, |b, x, y| b.ins().umin(x, y)),
            I16x8MaxS => self.vector_binary(I16X8, |b, x, y| b.ins().smax(x, y)),
            I16x8MaxU => self.vector_binary(I16X8, |b, x, y| b.ins().umax(x, y)),
            I32x4MinS => self.vector_binary(I32X4, |b, x, y| b.ins().smin(x, y)),
            I32x4MinU => self.vector_binary(I32X4, |b, x, y| b.ins().umin(x, y)),
            I32x4MaxS => self.vector_binary(I32X4, |b, x, y| b.ins().smax(x, y)),
            I32x4MaxU => self.vector_binary(I32X4, |b, x, y| b.ins().umax(x, y)),
            I8x16AvgrU => self.vector_binary(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            I16x8AvgrU => self.vector_binary(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            I16x8Q15MulrSatS | I16x8RelaxedQ15mulrS => {
                self.vector_binary(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y))
            }
            I8x16Shl => self.vector_shift(I8X16, Shift::Left),
            I16x8Shl => self.vector_shift(I16X8, Shift::Left),
            I32x4Shl => self.vector_shift(I32X4, Shift::Left),
            I64x2Shl => self.vector_shift(I64X2, Shift::Left),
            I8x16ShrS => self.vector_shift(I8X16, Shift::Signed),
            I16x8ShrS => self.vector_shift(I16X8, Shift::Signed),
            I32x4ShrS => self.vector_shift(I32X4, Shift::Signed),
            I64x2ShrS => self.vector_shift(I64X2, Shift::Signed),
            I8x16ShrU => self.vector_shift(I8X16, Shift::Unsigned),
            I16x8ShrU => self.vector_shift(I16X8, Shift::Unsigned),
            I32x4ShrU => self.vector_shift(I32X4, Shift::Unsigned),
            I64x2ShrU => self.vector_shift(I64X2, Shift::Unsigned),

            // ----- narrowing, widening, products -----------------------------
            I8x16NarrowI16x8S => self.vector_binary(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            I8x16NarrowI16x8U => self.vector_binary(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            I16x8NarrowI32x4S => self.vector_binary(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            I16x8NarrowI32x4U => self.vector_binary(I32X4, |b, x, y| b.ins().unarrow(x, y)),
            I16x8ExtendLowI8x16S => self.vector_unary(I8X16, |b, x| b.ins().swiden_low(x)),
            I16x8ExtendHighI8x16S => self.vector_unary(I8X16, |b, x| b.ins().swiden_high(x)),
            I16x8ExtendLowI8x16U => self.vector_unary(I8X16, |b, x| b.ins().uwiden_low(x)),
            I16x8ExtendHighI8x16U => self.vector_unary(I8X16, |b, x| b.ins().uwiden_high(x)),
            I32x4ExtendLowI16x8S => self.vector_unary(I16X8, |b, x| b.ins().swiden_low(x)),
            I32x4ExtendHighI16x8S => self.vector_unary(I16X8, |b, x| b.ins().swiden_high(x)),
            I32x4ExtendLowI16x8U => self.vector_unary(I16X8, |b, x| b.ins().uwiden_low(x)),
            I32x4ExtendHighI16x8U => self.vector_unary(I16X8, |b, x| b.ins().uwiden_high(x)),
            I64x2ExtendLowI32x4S => self.vector_unary(I32X4, |b, x| b.ins().swiden_low(x)),
            I64x2ExtendHighI32x4S => self.vector_unary(I32X4, |b, x| b.ins().swiden_high(x)),
            I64x2ExtendLowI32x4U => self.vector_unary(I32X4, |b, x| b.ins().uwiden_low(x)),
            I64x2ExtendHighI32x4U => self.vector_unary(I32X4, |b, x| b.ins().uwiden_high(x)),
            I16x8ExtAddPairwiseI8x16S => self.ext_add_pairwise(I8X16, true),
            I16x8ExtAddPairwiseI8x16U => self.ext_add_pairwise(I8X16, false),
            I32x4ExtAddPairwiseI16x8S => self.ext_add_pairwise(I16X8, true),
            I32x4ExtAddPairwiseI16x8U => self.ext_add_pairwise(I16X8, false),
            I16x8ExtMulLowI8x16S => self.ext_mul(I8X16, Half::Low, true),
            I16x8ExtMulHighI8x16S => self.ext_mul(I8X16, Half::High, true),
            I16x8ExtMulLowI8x16U => self.ext_mul(I8X16, Half::Low, false),
            I16x8ExtMulHighI8x16U => self.ext_mul(I8X16, Half::High, false),
            I32x4ExtMulLowI16x8S => self.ext_mul(I16X8, Half::Low, true),
            I32x4ExtMulHighI16x8S => self.ext_mul(I16X8, Half::High, true),
            I32x4ExtMulLowI16x8U => self.ext_mul(I16X8, Half::Low, false),
            I32x4ExtMulHighI16x8U => self.ext_mul(I16X8, Half::High, false),
            I64x2ExtMulLowI32x4S => self.ext_mul(I32X4, Half::Low, true),
            I64x2ExtMulHighI32x4S => self.ext_mul(I32X4, Half::High, true),
            I64x2ExtMulLowI32x4U => self.ext_mul(I32X4, Half::Low, false),
            I64x2ExtMulHighI32x4U => self.ext_mul(I32X4, Half::High, false),
            I32x4DotI16x8S => self.vector_binary(I16X8, dot),
            I16x8RelaxedDotI8x16I7x16S => self.vector_binary(I8X16, dot),
            I32x4RelaxedDotI8x16I7x16AddS => {
                let addend = self.pop_vector(I32X4);
                let (x, y) = self.pop_vectors(I8X16);
                let sums = dot(&mut self.b, x, y);
                let (low, high) = (self.b.ins().swiden_low(sums), self.b.ins().swiden_high(sums));
                let pairs = self.b.ins().iadd_pairwise(low, high);
                let v = self.b.ins().iadd(pairs, addend);
                self.push_vector(v);
            }

            // ----- floating point --------------------------------------------
            F32x4Abs => self.vector_unary(F32X4, |b, x| b.ins().fabs(x)),
            F64x2Abs => self.vector_unary(F64X2, |b, x| b.ins().fabs(x)),
            F32x4Neg => self.vector_unary(F32X4, |b, x| b.ins().fneg(x)),
            F64x2Neg => self.vector_unary(F64X2, |b, x| b.ins().fneg(x)),
            F32x4Sqrt => self.vector_unary(F32X4, |b, x| b.ins().sqrt(x)),
            F64x2Sqrt => self.vector_unary(F64X2, |b, x| b.ins().sqrt(x)),
            F32x4Ceil => self.vector_unary(F32X4, |b, x| b.ins().ceil(x)),
            F64x2Ceil => self.vector_unary(F64X2, |b, x| b.ins().ceil(x)),
            F32x4Floor => self.vector_unary(F32X4, |b, x| b.ins().floor(x)),
            F64x2Floor => self.vector_unary(F64X2, |b, x| b.ins().floor(x)),
            F32x4Trunc => self.vector_unary(F32X4, |b, x| b.ins().trunc(x)),
            F64x2Trunc => self.vector_unary(F64X2, |b, x| b.ins().trunc(x)),
            F32x4Nearest => self.vector_unary(F32X4, |b, x| b.ins().nearest(x)),
            F64x2Nearest => self.vector_unary(F64X2, |b, x| b.ins().nearest(x)),
            F32x4Add => self.vector_binary(F32X4, |b, x, y| b.ins().fadd(x, y)),
            F64x2Add => self.vector_binary(F64X2, |b, x, y| b.ins().fadd(x, y)),
            F32x4Sub => self.vector_binary(F32X4, |b, x, y| b.ins().fsub(x, y)),
            F64x2Sub => self.vector_binary(F64X2, |b, x, y| b.ins().fsub(x, y)),
            F32x4Mul => self.vector_binary(F32X4, |b, x, y| b.ins().fmul(x, y)),
            F64x2Mul => self.vector_binary(F64X2, |b, x, y| b.ins().fmul(x, y)),
            F32x4Div => self.vector_binary(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            F64x2Div => self.vector_binary(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            F32x4Min | F32x4RelaxedMin => self.vector_binary(F32X4, |b, x, y| b.ins().fmin(x, y)),
            F64x2Min | F64x2RelaxedMin => self.vector_binary(F64X2, |b, x, y| b.ins().fmin(x, y)),
            F32x4Max | F32x4RelaxedMax => self.vector_binary(F32X4, |b, x, y| b.ins().fmax(x, y)),
            F64x2Max | F64x2RelaxedMax => self.vector_binary(F64X2, |b, x, y| b.ins().fmax(x, y)),
            // pmin(x, y) = y < x ? y : x; pmax(x, y) = x < y ? y : x.
            F32x4PMin => self.vector_binary(F32X4, |b, x, y| if_less(b, y, x, y, x)),
            F64x2PMin => self.vector_binary(F64X2, |b, x, y| if_less(b, y, x, y, x)),
            F32x4PMax => self.vector_binary(F32X4, |b, x, y| if_less(b, x, y, y, x)),
            F64x2PMax => self.vector_binary(F64X2, |b, x, y| if_less(b, x, y, y, x)),
            F32x4RelaxedMadd => self.multiply_add(F32X4, false),
            F64x2RelaxedMadd => self.multiply_add(F64X2, false),
            F32x4RelaxedNmadd => self.multiply_add(F32X4, true),
            F64x2RelaxedNmadd => self.multiply_add(F64X2, true),

            // ----- conversions -----------------------------------------------
            I32x4TruncSatF32x4S | I32x4RelaxedTruncF32x4S => {
                self.vector_unary(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x))
            }
            I32x4TruncSatF32x4U | I32x4RelaxedTruncF32x4U => {
                self.vector_unary(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x))
            }
            I32x4TruncSatF64x2SZero | I32x4RelaxedTruncF64x2SZero => self.vector_unary(F64X2, |b, x| {
                let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
                let zero = crate::abi::zero(b, I64X2);
                b.ins().snarrow(wide, zero)
            }),
            I32x4TruncSatF64x2UZero | I32x4RelaxedTruncF64x2UZero => self.vector_unary(F64X2, |b, x| {
                let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
                let zero = crate::abi::zero(b, I64X2);
                b.ins().uunarrow(wide, zero)
            }),
            F32x4ConvertI32x4S => self.vector_unary(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x)),
            F32x4ConvertI32x4U => self.vector_unary(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x)),
            F64x2ConvertLowI32x4S => self.vector_unary(I32X4, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            F64x2ConvertLowI32x4U => self.vector_unary(I32X4, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            F32x4DemoteF64x2Zero => self.vector_unary(F64X2, |b, x| b.ins().fvdemote(x)),
            F64x2PromoteLowF32x4 => self.vector_unary(F32X4, |b, x| b.ins().fvpromote_low(x)),

            _ => return Ok(false),
        }
        Ok(true)
    }

    // ----- operand stack -----------------------------------------------------

    /// Pops a `v128` as a vector of shape `ty`.
    fn pop_vector(&mut self, ty: Type) -> Value {
        let v = self.pop();
        self.reshape(v, ty)
    }

    /// Pops two `v128`s (the deeper one first) as vectors of shape `ty`.
    fn pop_vectors(&mut self, ty: Type) -> (Value, Value) {
        let y = self.pop_vector(ty);
        let x = self.pop_vector(ty);
        (x, y)
    }

    /// Pushes a vector of any shape as a `v128`.
    fn push_vector(&mut self, v: Value) {
        let v = self.reshape(v, I8X16);
        self.push_typed(v, ValType::V128);
    }

    /// `v` as a vector of shape `ty` (same bits).
    fn reshape(&mut self, v: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().bitcast(ty, lanes_flags(), v)
        }
    }

    fn vector_const(&mut self, bytes: &[u8]) -> Value {
        let constant = self.b.func.dfg.constants.insert(ConstantData::from(bytes.to_vec()));
        self.b.ins().vconst(I8X16, constant)
    }

    // ----- shapes of operators -----------------------------------------------

    fn vector_unary(&mut self, ty: Type, f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder<'_>, Value) -> Value) {
        let x = self.pop_vector(ty);
        let v = f(&mut self.b, x);
        self.push_vector(v);
    }

    fn vector_binary(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder<'_>, Value, Value) -> Value,
    ) {
        let (x, y) = self.pop_vectors(ty);
        let v = f(&mut self.b, x, y);
        self.push_vector(v);
    }

    fn vector_icmp(&mut self, ty: Type, cc: IntCC) {
        self.vector_binary(ty, |b, x, y| b.ins().icmp(cc, x, y));
    }

    fn vector_fcmp(&mut self, ty: Type, cc: FloatCC) {
        self.vector_binary(ty, |b, x, y| b.ins().fcmp(cc, x, y));
    }

    fn all_true(&mut self, ty: Type) {
        let x = self.pop_vector(ty);
        let c = self.b.ins().vall_true(x);
        self.push_bool(c);
    }

    fn bitmask(&mut self, ty: Type) {
        let x = self.pop_vector(ty);
        let v = self.b.ins().vhigh_bits(types::I32, x);
        self.push_typed(v, ValType::I32);
    }

    /// A shift of every lane by the `i32` on top, modulo the lane width
    /// (Wasm's rule; masked here, not left to the instruction).
    fn vector_shift(&mut self, ty: Type, shift: Shift) {
        let amount = self.pop();
        let x = self.pop_vector(ty);
        let amount = self.b.ins().band_imm_u(amount, i64::from(ty.lane_bits() - 1));
        let ins = self.b.ins();
        let v = match shift {
            Shift::Left => ins.ishl(x, amount),
            Shift::Signed => ins.sshr(x, amount),
            Shift::Unsigned => ins.ushr(x, amount),
        };
        self.push_vector(v);
    }

    fn extract_lane(&mut self, ty: Type, lane: u8, signed: Option<bool>) {
        let x = self.pop_vector(ty);
        let v = self.b.ins().extractlane(x, lane);
        let (v, wasm) = match signed {
            Some(true) => (self.b.ins().sextend(types::I32, v), ValType::I32),
            Some(false) => (self.b.ins().uextend(types::I32, v), ValType::I32),
            None => (v, scalar_type(ty.lane_type())),
        };
        self.push_typed(v, wasm);
    }

    fn replace_lane(&mut self, ty: Type, lane: u8) {
        let scalar = self.pop();
        let x = self.pop_vector(ty);
        let lane_type = ty.lane_type();
        let scalar = if lane_type.bits() < 32 { self.b.ins().ireduce(lane_type, scalar) } else { scalar };
        let v = self.b.ins().insertlane(x, scalar, lane);
        self.push_vector(v);
    }

    /// `extadd_pairwise`: each pair of adjacent lanes of shape `ty`, widened,
    /// summed.
    fn ext_add_pairwise(&mut self, ty: Type, signed: bool) {
        self.vector_unary(ty, |b, x| {
            let (low, high) = widen(b, x, signed);
            b.ins().iadd_pairwise(low, high)
        });
    }

    /// `extmul`: the `half` lanes of both operands (shape `ty`), widened,
    /// multiplied.
    fn ext_mul(&mut self, ty: Type, half: Half, signed: bool) {
        self.vector_binary(ty, |b, x, y| {
            let ins = |b: &mut cranelift_frontend::FunctionBuilder<'_>, v| match (half, signed) {
                (Half::Low, true) => b.ins().swiden_low(v),
                (Half::High, true) => b.ins().swiden_high(v),
                (Half::Low, false) => b.ins().uwiden_low(v),
                (Half::High, false) => b.ins().uwiden_high(v),
            };
            let (x, y) = (ins(b, x), ins(b, y));
            b.ins().imul(x, y)
        });
    }

    /// Relaxed `madd` (`negate`: `nmadd`): not fused (see the module's doc).
    fn multiply_add(&mut self, ty: Type, negate: bool) {
        let addend = self.pop_vector(ty);
        let (x, y) = self.pop_vectors(ty);
        let product = self.b.ins().fmul(x, y);
        let product = if negate { self.b.ins().fneg(product) } else { product };
        let v = self.b.ins().fadd(product, addend);
        self.push_vector(v);
    }

    // ----- memory ------------------------------------------------------------

    /// The checked native address of a `size`-byte access.
    fn vector_address(&mut self, memarg: MemArg, size: u32) -> Value {
        let addr = self.pop();
        let memory = super::operators::memory_index(&memarg);
        self.env.heap_address(&mut self.b, memory, addr, memarg.offset, size)
    }

    /// A load of `size` bytes making a vector of shape `ty` (see
    /// [`VectorLoad`]).
    fn vector_load(&mut self, memarg: MemArg, ty: Type, size: u32, kind: VectorLoad) {
        let address = self.vector_address(memarg, size);
        let flags = self.env.heap_flags();
        let ins = self.b.ins();
        let v = match (kind, ty) {
            (VectorLoad::Whole, _) => ins.load(I8X16, flags, address, 0),
            (VectorLoad::Signed, I16X8) => ins.sload8x8(flags, address, 0),
            (VectorLoad::Unsigned, I16X8) => ins.uload8x8(flags, address, 0),
            (VectorLoad::Signed, I32X4) => ins.sload16x4(flags, address, 0),
            (VectorLoad::Unsigned, I32X4) => ins.uload16x4(flags, address, 0),
            (VectorLoad::Signed, _) => ins.sload32x2(flags, address, 0),
            (VectorLoad::Unsigned, _) => ins.uload32x2(flags, address, 0),
            (VectorLoad::Splat, _) => {
                let scalar = ins.load(ty.lane_type(), flags, address, 0);
                self.b.ins().splat(ty, scalar)
            }
            (VectorLoad::Zero, _) => {
                let scalar = ins.load(ty.lane_type(), flags, address, 0);
                self.b.ins().scalar_to_vector(ty, scalar)
            }
        };
        self.push_vector(v);
    }

    fn load_lane(&mut self, memarg: MemArg, ty: Type, lane: u8) {
        let x = self.pop_vector(ty);
        let address = self.vector_address(memarg, ty.lane_bits() / 8);
        let flags = self.env.heap_flags();
        let scalar = self.b.ins().load(ty.lane_type(), flags, address, 0);
        let v = self.b.ins().insertlane(x, scalar, lane);
        self.push_vector(v);
    }

    fn store_lane(&mut self, memarg: MemArg, ty: Type, lane: u8) {
        let x = self.pop_vector(ty);
        let address = self.vector_address(memarg, ty.lane_bits() / 8);
        let flags = self.env.heap_flags();
        let scalar = self.b.ins().extractlane(x, lane);
        self.b.ins().store(flags, scalar, address, 0);
    }
}

#[derive(Clone, Copy)]
enum VectorLoad {
    /// All 16 bytes.
    Whole,
    /// 8 bytes, each half-width lane sign-extended.
    Signed,
    /// 8 bytes, each half-width lane zero-extended.
    Unsigned,
    /// One lane, in every lane.
    Splat,
    /// One lane, the others zero.
    Zero,
}

#[derive(Clone, Copy)]
enum Shift {
    Left,
    Signed,
    Unsigned,
}

#[derive(Clone, Copy)]
enum Half {
    Low,
    High,
}

/// The Wasm type of a lane of type `lane` (`i32` and up).
fn scalar_type(lane: Type) -> ValType {
    match lane {
        types::I64 => ValType::I64,
        types::F32 => ValType::F32,
        types::F64 => ValType::F64,
        _ => ValType::I32,
    }
}

/// Both halves of `x`, widened.
fn widen(b: &mut cranelift_frontend::FunctionBuilder<'_>, x: Value, signed: bool) -> (Value, Value) {
    match signed {
        true => (b.ins().swiden_low(x), b.ins().swiden_high(x)),
        false => (b.ins().uwiden_low(x), b.ins().uwiden_high(x)),
    }
}

/// Signed lanes multiplied at double width, adjacent products summed
/// (wrapping): `i32x4.dot_i16x8_s`, and the relaxed `i8x16` dot product.
fn dot(b: &mut cranelift_frontend::FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let (x_low, x_high) = widen(b, x, true);
    let (y_low, y_high) = widen(b, y, true);
    let low = b.ins().imul(x_low, y_low);
    let high = b.ins().imul(x_high, y_high);
    b.ins().iadd_pairwise(low, high)
}

/// `lhs < rhs ? then : otherwise`, lane by lane.
fn if_less(
    b: &mut cranelift_frontend::FunctionBuilder<'_>,
    lhs: Value,
    rhs: Value,
    then: Value,
    otherwise: Value,
) -> Value {
    let ty = b.func.dfg.value_type(then);
    let less = b.ins().fcmp(FloatCC::LessThan, lhs, rhs);
    let mask = b.ins().bitcast(ty, lanes_flags(), less);
    b.ins().bitselect(mask, then, otherwise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::settings::{self, Configurable};

    fn isa(arch: &str, features: &[&str]) -> std::sync::Arc<dyn TargetIsa> {
        let mut builder = cranelift_codegen::isa::lookup_by_name(arch).expect("a target Cranelift has");
        for feature in features {
            builder.enable(feature).expect("a feature of the target");
        }
        builder.finish(settings::Flags::new(settings::builder())).expect("valid settings")
    }

    #[test]
    fn simd_needs_ssse3_and_sse41_on_x86_64_only() {
        assert!(!vector_isa(&*isa("x86_64", &[])), "baseline x86_64 (SSE2) has no SIMD operators");
        assert!(!vector_isa(&*isa("x86_64", &["has_sse3", "has_ssse3"])));
        assert!(!vector_isa(&*isa("x86_64", &["has_sse3", "has_sse41"])));
        assert!(vector_isa(&*isa("x86_64", &["has_sse3", "has_ssse3", "has_sse41"])));
        assert!(vector_isa(&*isa("aarch64", &[])), "NEON is part of every aarch64 CPU");
    }

    #[test]
    fn code_for_another_x86_64_cpu_assumes_what_simd_needs() {
        let compiler = crate::Compiler::new(&crate::CompileOptions {
            target: crate::Target::X86_64,
            ..crate::CompileOptions::default()
        })
        .expect("a compiler for x86_64");
        assert!(vector_isa(compiler.isa()));
        let features = compiler.cpu_features();
        assert!(features.contains(&"has_ssse3") && features.contains(&"has_sse41"), "{features:?}");
    }
}
