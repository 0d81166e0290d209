//! The translator's view of the runtime: every access to `vmctx`, `exec`,
//! memories, tables, globals and builtins goes through [`FuncEnv`]. The
//! operator match in `operators.rs` never computes an offset itself.

use super::checked_bounds::CheckedBounds;
use super::memory_use::MemoryUse;
use crate::abi::{self, POINTER};
use crate::module_info::{FuncType, ModuleInfo, ValType};
use crate::vm::{
    Builtin, BuiltinType, ExecCtx, Redirect, TrapCode, VMException, VMFuncRef, VMMemory, VMOffsets, VMTable,
    STATE_TRAPPING,
};
use cranelift_codegen::ir::{
    self, condcodes::IntCC, types, AliasRegion, AliasRegionData, Block, InstBuilder, MemFlagsData, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use std::collections::HashMap;

/// Disjoint kinds of memory compiled code touches, for Cranelift's alias
/// analysis: a store to one never invalidates a load from another.
#[derive(Clone, Copy)]
struct Regions {
    /// Linear memory contents.
    heap: AliasRegion,
    /// `VMMemory`/`VMTable` descriptors (change only inside builtin calls).
    descriptors: AliasRegion,
    /// Global values.
    globals: AliasRegion,
    /// Table elements.
    elements: AliasRegion,
    /// The `ExecCtx`.
    exec: AliasRegion,
}

/// The `ExecCtx` fields compiled code reads and writes.
#[derive(Debug, Clone, Copy)]
pub enum ExecField {
    State,
    Fuel,
    StackLimit,
    SavedStackLimit,
    ResumePoint,
    RedirectFuncPtr,
    RedirectVmctx,
    RedirectThunk,
    Exception,
}

impl ExecField {
    fn offset_and_type(self) -> (i32, ir::Type) {
        match self {
            ExecField::State => (ExecCtx::OFFSET_STATE, types::I32),
            ExecField::Fuel => (ExecCtx::OFFSET_FUEL, types::I64),
            ExecField::StackLimit => (ExecCtx::OFFSET_STACK_LIMIT, POINTER),
            ExecField::SavedStackLimit => (ExecCtx::OFFSET_SAVED_STACK_LIMIT, POINTER),
            ExecField::ResumePoint => (ExecCtx::OFFSET_RESUME_POINT, types::I32),
            ExecField::RedirectFuncPtr => (ExecCtx::OFFSET_REDIRECT + Redirect::OFFSET_FUNC_PTR, POINTER),
            ExecField::RedirectVmctx => (ExecCtx::OFFSET_REDIRECT + Redirect::OFFSET_VMCTX, POINTER),
            ExecField::RedirectThunk => (ExecCtx::OFFSET_REDIRECT + Redirect::OFFSET_THUNK, POINTER),
            ExecField::Exception => (ExecCtx::OFFSET_EXCEPTION, POINTER),
        }
    }
}

/// Per-function state of the environment.
pub struct FuncEnv<'a> {
    pub info: &'a ModuleInfo,
    offsets: VMOffsets,
    call_conv: CallConv,
    pub vmctx: Value,
    pub exec: Value,
    regions: Regions,
    /// Cold blocks that record a trap code; shared by all sites of a code.
    trap_blocks: HashMap<TrapCode, Block>,
    /// Cold block that returns at once (a callee trapped).
    pub propagate_block: Block,
    signatures: HashMap<u32, ir::SigRef>,
    builtin_signatures: HashMap<Builtin, ir::SigRef>,
    direct_funcs: HashMap<u32, ir::FuncRef>,
    /// The engine-wide id of each module type index `call_indirect` checks,
    /// as a symbol the linker fills in (see [`type_id_name`]).
    type_id_symbols: HashMap<u32, ir::GlobalValue>,
    /// Base and length of memory 0 in variables, so they stay in registers
    /// across loops. Reloaded after every call and builtin, the only points
    /// where the memory can move or grow.
    memory_cache: Option<(Variable, Variable)>,
    /// Whether the cache's variables may be out of date here (see
    /// [`FuncEnv::invalidate_memory_cache`]).
    memory_cache_stale: bool,
    /// Where the function addresses memory 0: the cache exists only if it
    /// does, and a loop's header keeps it only if the loop does.
    memory_use: MemoryUse,
    /// Bounds checks that hold here (see [`CheckedBounds`]).
    checked: CheckedBounds,
}

impl<'a> FuncEnv<'a> {
    pub fn new(
        b: &mut FunctionBuilder<'_>,
        info: &'a ModuleInfo,
        call_conv: CallConv,
        vmctx: Value,
        exec: Value,
        propagate_block: Block,
        memory_use: MemoryUse,
    ) -> Self {
        let mut region = |user_id, description: &'static str| {
            b.func.dfg.alias_regions.insert(AliasRegionData { user_id, description: description.into() })
        };
        let regions = Regions {
            heap: region(1, "heap"),
            descriptors: region(2, "descriptors"),
            globals: region(3, "globals"),
            elements: region(4, "elements"),
            exec: region(5, "exec"),
        };
        FuncEnv {
            info,
            offsets: info.vm_offsets(),
            call_conv,
            vmctx,
            exec,
            regions,
            trap_blocks: HashMap::new(),
            propagate_block,
            signatures: HashMap::new(),
            builtin_signatures: HashMap::new(),
            direct_funcs: HashMap::new(),
            type_id_symbols: HashMap::new(),
            memory_cache: None,
            memory_cache_stale: false,
            memory_use,
            checked: CheckedBounds::default(),
        }
    }

    /// Declares the cached memory variables and loads them; call once at
    /// function entry. Nothing if the function never addresses memory 0.
    pub fn init_memory_cache(&mut self, b: &mut FunctionBuilder<'_>) {
        if self.info.memories.is_empty() || !self.memory_use.in_function() {
            return;
        }
        let base = b.declare_var(POINTER);
        let length = b.declare_var(types::I64);
        self.memory_cache = Some((base, length));
        self.reload_memory_cache(b);
    }

    /// After anything that may have moved or grown memory 0 (a call, a
    /// builtin): the cache is reloaded before its next use, or before a
    /// branch back to a loop's header ([`FuncEnv::settle_memory_cache`]),
    /// whichever comes first. So a stretch of calls and branches with no
    /// memory access in between loads nothing. Where control flow joins
    /// otherwise, the cache is stale if it is on any way in (see
    /// [`FuncEnv::memory_cache_stale`]).
    pub fn invalidate_memory_cache(&mut self) {
        self.memory_cache_stale = self.memory_cache.is_some();
    }

    /// Reloads the cache if it was invalidated: before a loop (whose
    /// header keeps the cache in registers) and before each branch back to
    /// its header.
    pub fn settle_memory_cache(&mut self, b: &mut FunctionBuilder<'_>) {
        if self.memory_cache_stale {
            self.reload_memory_cache(b);
        }
    }

    /// Before the loop whose operator is at byte `offset`: if the loop
    /// addresses memory 0, its header keeps the cache (reloaded here if
    /// stale; branches back settle it too) and this returns true. Else the
    /// cache is left stale for the loop and after it, so that nothing in
    /// the loop reloads it.
    pub fn enter_loop_memory_cache(&mut self, b: &mut FunctionBuilder<'_>, offset: u64) -> bool {
        if self.memory_use.in_loop(offset) {
            self.settle_memory_cache(b);
            true
        } else {
            self.invalidate_memory_cache();
            false
        }
    }

    /// Whether the cache's variables may be out of date here.
    pub fn memory_cache_stale(&self) -> bool {
        self.memory_cache_stale
    }

    /// Where the translation continues at a join: the cache is stale if it
    /// was on some way in (the variables then hold values nothing reads
    /// before the next reload).
    pub fn set_memory_cache_stale(&mut self, stale: bool) {
        self.memory_cache_stale = stale && self.memory_cache.is_some();
    }

    pub fn reload_memory_cache(&mut self, b: &mut FunctionBuilder<'_>) {
        self.memory_cache_stale = false;
        if let Some((base_var, length_var)) = self.memory_cache {
            let descriptor = self.memory_descriptor(b, 0);
            let flags = self.flags(self.regions.descriptors);
            let length = b.ins().load(types::I64, flags, descriptor, VMMemory::OFFSET_LENGTH);
            let base = b.ins().load(POINTER, flags, descriptor, VMMemory::OFFSET_BASE);
            b.def_var(base_var, base);
            b.def_var(length_var, length);
        }
    }

    /// Base and length of `memory`.
    fn memory_bounds(&mut self, b: &mut FunctionBuilder<'_>, memory: u32) -> (Value, Value) {
        self.settle_memory_cache(b);
        match self.memory_cache {
            Some((base, length)) if memory == 0 => (b.use_var(base), b.use_var(length)),
            _ => {
                let descriptor = self.memory_descriptor(b, memory);
                let flags = self.flags(self.regions.descriptors);
                let length = b.ins().load(types::I64, flags, descriptor, VMMemory::OFFSET_LENGTH);
                let base = b.ins().load(POINTER, flags, descriptor, VMMemory::OFFSET_BASE);
                (base, length)
            }
        }
    }

    /// A vmctx word: written once at instantiation, so it may be loaded
    /// anywhere and shared between loads.
    fn vmctx_word(&self, b: &mut FunctionBuilder<'_>, offset: u32) -> Value {
        let flags = MemFlagsData::trusted().with_readonly().with_can_move();
        b.ins().load(POINTER, flags, self.vmctx, offset as i32)
    }

    fn flags(&self, region: AliasRegion) -> MemFlagsData {
        MemFlagsData::trusted().with_alias_region(Some(region))
    }

    pub fn exec_load(&self, b: &mut FunctionBuilder<'_>, field: ExecField) -> Value {
        let (offset, ty) = field.offset_and_type();
        b.ins().load(ty, self.flags(self.regions.exec), self.exec, offset)
    }

    pub fn exec_store(&self, b: &mut FunctionBuilder<'_>, field: ExecField, value: Value) {
        let (offset, _) = field.offset_and_type();
        b.ins().store(self.flags(self.regions.exec), value, self.exec, offset);
    }

    // ----- traps -------------------------------------------------------------

    /// The cold block that traps with `code`; for codes with a detail (see
    /// [`TrapCode::has_detail`]) it takes the detail as an `i64` parameter.
    /// Its body is emitted by [`FuncEnv::finish_trap_blocks`], since the
    /// frontend cannot leave a block half-built to fill another.
    pub fn trap_block(&mut self, b: &mut FunctionBuilder<'_>, code: TrapCode) -> Block {
        *self.trap_blocks.entry(code).or_insert_with(|| {
            let block = b.create_block();
            b.set_cold_block(block);
            if code.has_detail() {
                b.append_block_param(block, types::I64);
            }
            block
        })
    }

    /// Fills every trap block: record the code (and detail) and the state, then return.
    pub fn finish_trap_blocks(&mut self, b: &mut FunctionBuilder<'_>) {
        let flags = self.flags(self.regions.exec);
        // Blocks are laid out in the order they are filled: in a fixed
        // order, so that the code does not depend on a hash seed.
        let mut blocks: Vec<(TrapCode, Block)> = std::mem::take(&mut self.trap_blocks).into_iter().collect();
        blocks.sort_unstable_by_key(|(code, _)| *code as u32);
        for (code, block) in blocks {
            b.switch_to_block(block);
            if code.has_detail() {
                let detail = b.block_params(block)[0];
                b.ins().store(flags, detail, self.exec, ExecCtx::OFFSET_TRAP_DETAIL);
            }
            let code_value = b.ins().iconst(types::I32, code as i64);
            b.ins().store(flags, code_value, self.exec, ExecCtx::OFFSET_TRAP_CODE);
            let state = b.ins().iconst(types::I32, STATE_TRAPPING as i64);
            b.ins().store(flags, state, self.exec, ExecCtx::OFFSET_STATE);
            b.ins().jump(self.propagate_block, &[]);
        }
    }

    /// Traps with `code` when `condition` is non-zero; continues in a new block.
    pub fn trap_if(&mut self, b: &mut FunctionBuilder<'_>, condition: Value, code: TrapCode) {
        self.trap_if_with(b, condition, code, None);
    }

    /// [`FuncEnv::trap_if`] for a code with a detail (an `i64`).
    fn trap_if_with(&mut self, b: &mut FunctionBuilder<'_>, condition: Value, code: TrapCode, detail: Option<Value>) {
        let trap = self.trap_block(b, code);
        let next = b.create_block();
        let args: Vec<ir::BlockArg> = detail.into_iter().map(ir::BlockArg::from).collect();
        b.ins().brif(condition, trap, &args, next, &[]);
        b.seal_block(next);
        b.switch_to_block(next);
    }

    /// Returns at once if a callee left `exec.state` non-running;
    /// otherwise continues in a new block (with the memory cache
    /// invalidated).
    pub fn check_state(&mut self, b: &mut FunctionBuilder<'_>) {
        let state = self.exec_load(b, ExecField::State);
        let next = b.create_block();
        b.ins().brif(state, self.propagate_block, &[], next, &[]);
        b.seal_block(next);
        b.switch_to_block(next);
        self.invalidate_memory_cache();
    }

    /// Goes to `below` if the stack pointer is below `exec.stack_limit`
    /// (by default, the "call stack exhausted" trap). The stack pointer is
    /// read after the prologue has allocated the whole frame (without
    /// touching it, as probestack is off), so the frame lies above the limit
    /// whenever the check passes; the runtime leaves slack below the limit
    /// for prologues of callees and host calls.
    pub fn check_stack(&mut self, b: &mut FunctionBuilder<'_>, below: Option<Block>) {
        let sp = b.ins().get_stack_pointer(POINTER);
        let limit = self.exec_load(b, ExecField::StackLimit);
        let is_below = b.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        match below {
            Some(block) => {
                let next = b.create_block();
                b.ins().brif(is_below, block, &[], next, &[]);
                b.seal_block(next);
                b.switch_to_block(next);
            }
            None => self.trap_if(b, is_below, TrapCode::StackOverflow),
        }
    }

    // ----- memory ------------------------------------------------------------

    fn memory_descriptor(&self, b: &mut FunctionBuilder<'_>, memory: u32) -> Value {
        self.vmctx_word(b, self.offsets.memory(memory))
    }

    /// The native address of a `size`-byte access at `addr + offset` in
    /// `memory`, after a bounds check that traps.
    pub fn heap_address(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        memory: u32,
        addr: Value,
        offset: u64,
        size: u32,
    ) -> Value {
        let (base, length) = self.memory_bounds(b, memory);
        let wasm_addr = addr;
        let addr = widen(b, addr);
        let reach = offset.checked_add(u64::from(size));
        let checked = reach.is_some_and(|r| self.checked.covers(wasm_addr, memory, r))
            || self.within_minimum(b, memory, wasm_addr, reach);
        let out_of_bounds = match (self.memory64(memory), reach) {
            // Already checked with this reach or more.
            _ if checked => None,
            (false, Some(reach)) => {
                // addr and offset < 2^32 and size <= 16: this cannot wrap.
                let end = b.ins().iadd_imm_s(addr, reach as i64);
                Some(b.ins().icmp(IntCC::UnsignedGreaterThan, end, length))
            }
            // A 64-bit address plus the offset can wrap: that is out of
            // bounds too.
            (true, Some(reach)) => {
                let reach = b.ins().iconst(types::I64, reach as i64);
                let (end, wrapped) = b.ins().uadd_overflow(addr, reach);
                let beyond = b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
                Some(b.ins().bor(beyond, wrapped))
            }
            // No memory reaches past 2^64 bytes.
            (_, None) => Some(b.ins().iconst(types::I8, 1)),
        };
        if let Some(out_of_bounds) = out_of_bounds {
            self.trap_if(b, out_of_bounds, TrapCode::MemoryOutOfBounds);
            if let Some(reach) = reach {
                self.checked.record(wasm_addr, memory, reach);
            }
        }
        let native = b.ins().iadd(base, addr);
        if offset > 0 {
            b.ins().iadd_imm_s(native, offset as i64)
        } else {
            native
        }
    }

    /// The bounds checks known to hold at the point being translated.
    pub fn checked_bounds(&mut self) -> &mut CheckedBounds {
        &mut self.checked
    }

    /// Whether an access reaching `reach` bytes past `addr` lies within
    /// the memory's minimum size, which it has from instantiation on and
    /// never loses: then no check is needed. So for constant addresses
    /// (clang's static data, `i32.const 0` with the address in the offset)
    /// and bounded ones into static arrays (`table[byte]`,
    /// `stack[sp & 63]`; see [`upper_bound`]).
    fn within_minimum(&self, b: &FunctionBuilder<'_>, memory: u32, addr: Value, reach: Option<u64>) -> bool {
        let (Some(reach), Some(ty)) = (reach, self.info.memories.get(memory as usize)) else {
            return false;
        };
        let minimum = ty.limits.min.saturating_mul(WASM_PAGE_BYTES);
        // Cheap first: most addresses are not bounded, and most minimums
        // are far below 4 GiB.
        if minimum < reach {
            return false;
        }
        upper_bound(b, addr, BOUND_DEPTH).and_then(|max| max.checked_add(reach)).is_some_and(|end| end <= minimum)
    }

    /// Flags for a checked linear-memory access.
    pub fn heap_flags(&self) -> MemFlagsData {
        MemFlagsData::new().with_notrap().with_alias_region(Some(self.regions.heap))
    }

    /// `memory.size` in pages (an `i64` for a 64-bit memory).
    pub fn memory_size(&mut self, b: &mut FunctionBuilder<'_>, memory: u32) -> Value {
        let (_, length) = self.memory_bounds(b, memory);
        let pages = b.ins().ushr_imm_u(length, 16);
        match self.memory64(memory) {
            true => pages,
            false => b.ins().ireduce(types::I32, pages),
        }
    }

    /// Whether memory `memory` is indexed by `i64` addresses.
    pub fn memory64(&self, memory: u32) -> bool {
        self.info.memories.get(memory as usize).is_some_and(|m| m.memory64)
    }

    // ----- globals -----------------------------------------------------------

    pub fn global_get(&mut self, b: &mut FunctionBuilder<'_>, global: u32) -> Value {
        let ty = self.info.globals[global as usize];
        let cell = self.vmctx_word(b, self.offsets.global(global));
        let mut flags = self.flags(self.regions.globals);
        if !ty.mutable {
            flags = flags.with_readonly().with_can_move();
        }
        b.ins().load(abi::ir_type(ty.content), flags, cell, 0)
    }

    pub fn global_set(&mut self, b: &mut FunctionBuilder<'_>, global: u32, value: Value) {
        let cell = self.vmctx_word(b, self.offsets.global(global));
        b.ins().store(self.flags(self.regions.globals), value, cell, 0);
    }

    // ----- tables ------------------------------------------------------------

    fn table_descriptor(&self, b: &mut FunctionBuilder<'_>, table: u32) -> Value {
        self.vmctx_word(b, self.offsets.table(table))
    }

    pub fn table_size(&mut self, b: &mut FunctionBuilder<'_>, table: u32) -> Value {
        let descriptor = self.table_descriptor(b, table);
        let length = b.ins().load(types::I64, self.flags(self.regions.descriptors), descriptor, VMTable::OFFSET_LENGTH);
        match self.table64(table) {
            true => length,
            false => b.ins().ireduce(types::I32, length),
        }
    }

    /// Whether table `table` is indexed by `i64`.
    pub fn table64(&self, table: u32) -> bool {
        self.info.tables.get(table as usize).is_some_and(|t| t.table64)
    }

    /// Address of element `index` of `table`, trapping with `code` when out of bounds.
    fn table_element_address(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        index: Value,
        code: TrapCode,
    ) -> Value {
        let descriptor = self.table_descriptor(b, table);
        let flags = self.flags(self.regions.descriptors);
        let length = b.ins().load(types::I64, flags, descriptor, VMTable::OFFSET_LENGTH);
        let index = widen(b, index);
        let out_of_bounds = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
        let detail = code.has_detail().then_some(index);
        self.trap_if_with(b, out_of_bounds, code, detail);
        let base = b.ins().load(POINTER, flags, descriptor, VMTable::OFFSET_BASE);
        let byte_offset = b.ins().ishl_imm_u(index, 3);
        b.ins().iadd(base, byte_offset)
    }

    pub fn table_get(&mut self, b: &mut FunctionBuilder<'_>, table: u32, index: Value) -> Value {
        let address = self.table_element_address(b, table, index, TrapCode::TableOutOfBounds);
        b.ins().load(POINTER, self.flags(self.regions.elements), address, 0)
    }

    pub fn table_set(&mut self, b: &mut FunctionBuilder<'_>, table: u32, index: Value, value: Value) {
        let address = self.table_element_address(b, table, index, TrapCode::TableOutOfBounds);
        b.ins().store(self.flags(self.regions.elements), value, address, 0);
    }

    // ----- functions ---------------------------------------------------------

    /// The `*const VMFuncRef` of function `func` (what `ref.func` yields).
    /// The identity of tag `tag` (its `*const VMTag`, see [`crate::vm::VMTag`]).
    pub fn tag(&mut self, b: &mut FunctionBuilder<'_>, tag: u32) -> Value {
        self.vmctx_word(b, self.offsets.tag(tag))
    }

    /// The value of type `ty` at word `word` of exception `exn`'s payload
    /// (see [`crate::vm::VMException`] and [`ValType::words`]).
    pub fn exception_slot(&self, b: &mut FunctionBuilder<'_>, exn: Value, word: usize, ty: ValType) -> Value {
        let offset = VMException::PAYLOAD_OFFSET + (word * 8) as i32;
        let ty = abi::ir_type(ty);
        b.ins().load(ty, payload_flags(ty), exn, offset)
    }

    /// Stores `value` at word `word` of exception `exn`'s payload.
    pub fn set_exception_slot(&self, b: &mut FunctionBuilder<'_>, exn: Value, word: usize, value: Value) {
        let offset = VMException::PAYLOAD_OFFSET + (word * 8) as i32;
        let flags = payload_flags(b.func.dfg.value_type(value));
        b.ins().store(flags, value, exn, offset);
    }

    /// The tag exception `exn` was thrown with.
    pub fn exception_tag(&self, b: &mut FunctionBuilder<'_>, exn: Value) -> Value {
        b.ins().load(POINTER, MemFlagsData::trusted().with_readonly(), exn, VMException::OFFSET_TAG)
    }

    pub fn funcref(&mut self, b: &mut FunctionBuilder<'_>, func: u32) -> Value {
        self.vmctx_word(b, self.offsets.funcref(func))
    }

    fn signature(&mut self, b: &mut FunctionBuilder<'_>, type_index: u32) -> ir::SigRef {
        if let Some(sig) = self.signatures.get(&type_index) {
            return *sig;
        }
        let sig = b.import_signature(abi::wasm_signature(&self.info.types[type_index as usize]));
        self.signatures.insert(type_index, sig);
        sig
    }

    /// Emits a call to function `func` with the Wasm arguments `args`; returns
    /// the call instruction (results are read by the caller of this method).
    pub fn call(&mut self, b: &mut FunctionBuilder<'_>, func: u32, args: &[Value]) -> ir::Inst {
        self.emit_call(b, func, args, false)
    }

    /// Tail-calls function `func` (ends the block).
    pub fn return_call(&mut self, b: &mut FunctionBuilder<'_>, func: u32, args: &[Value]) {
        self.emit_call(b, func, args, true);
    }

    /// A call of `func`, or (`tail`) a tail call, which ends the block.
    fn emit_call(&mut self, b: &mut FunctionBuilder<'_>, func: u32, args: &[Value], tail: bool) -> ir::Inst {
        let type_index = self.info.functions[func as usize];
        if self.info.is_imported_function(func) {
            let funcref = self.funcref(b, func);
            return self.emit_call_funcref(b, type_index, funcref, args, tail);
        }
        let callee = match self.direct_funcs.get(&func) {
            Some(callee) => *callee,
            None => {
                let signature = self.signature(b, type_index);
                let defined = func - self.info.num_imported_functions;
                let name = b.func.declare_imported_user_function(crate::compile::function_name(defined));
                let callee = b.import_function(ir::ExtFuncData {
                    name: ir::ExternalName::user(name),
                    signature,
                    colocated: true,
                    patchable: false,
                });
                self.direct_funcs.insert(func, callee);
                callee
            }
        };
        let mut full_args = vec![self.vmctx, self.exec];
        full_args.extend_from_slice(args);
        match tail {
            true => b.ins().return_call(callee, &full_args),
            false => b.ins().call(callee, &full_args),
        }
    }

    /// Calls through a non-null `*const VMFuncRef` already checked to be of
    /// type `type_index`.
    pub fn call_funcref(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        type_index: u32,
        funcref: Value,
        args: &[Value],
    ) -> ir::Inst {
        self.emit_call_funcref(b, type_index, funcref, args, false)
    }

    /// Tail-calls through a funcref, as [`FuncEnv::call_funcref`] calls.
    pub fn return_call_funcref(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        type_index: u32,
        funcref: Value,
        args: &[Value],
    ) {
        self.emit_call_funcref(b, type_index, funcref, args, true);
    }

    fn emit_call_funcref(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        type_index: u32,
        funcref: Value,
        args: &[Value],
        tail: bool,
    ) -> ir::Inst {
        let flags = MemFlagsData::trusted().with_readonly();
        let func_ptr = b.ins().load(POINTER, flags, funcref, VMFuncRef::OFFSET_FUNC_PTR);
        let callee_vmctx = b.ins().load(POINTER, flags, funcref, VMFuncRef::OFFSET_VMCTX);
        let signature = self.signature(b, type_index);
        let mut full_args = vec![callee_vmctx, self.exec];
        full_args.extend_from_slice(args);
        match tail {
            true => b.ins().return_call_indirect(signature, func_ptr, &full_args),
            false => b.ins().call_indirect(signature, func_ptr, &full_args),
        }
    }

    /// `call_indirect`'s callee: element `index` of `table`, checked to be
    /// in bounds, non-null and of type `type_index` (call it with
    /// [`FuncEnv::call_funcref`]).
    pub fn indirect_callee(&mut self, b: &mut FunctionBuilder<'_>, type_index: u32, table: u32, index: Value) -> Value {
        let address = self.table_element_address(b, table, index, TrapCode::UndefinedElement);
        let funcref = b.ins().load(POINTER, self.flags(self.regions.elements), address, 0);
        let is_null = b.ins().icmp_imm_s(IntCC::Equal, funcref, 0);
        let index = widen(b, index);
        self.trap_if_with(b, is_null, TrapCode::IndirectCallToNull, Some(index));
        let actual =
            b.ins().load(types::I32, MemFlagsData::trusted().with_readonly(), funcref, VMFuncRef::OFFSET_TYPE_ID);
        let actual = b.ins().uextend(types::I64, actual);
        let expected = self.type_id(b, type_index);
        let mismatch = b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.trap_if(b, mismatch, TrapCode::BadSignature);
        funcref
    }

    /// The engine-wide id of the module's type `type_index`, as an i64.
    /// Not a constant: the linker writes it into the code (so the code does
    /// not depend on the engine that compiled it, and a serialized module
    /// can be loaded into another one).
    fn type_id(&mut self, b: &mut FunctionBuilder<'_>, type_index: u32) -> Value {
        let symbol = match self.type_id_symbols.get(&type_index) {
            Some(symbol) => *symbol,
            None => {
                let symbol = crate::abi::declare_symbol(b, crate::compile::type_id_name(type_index));
                self.type_id_symbols.insert(type_index, symbol);
                symbol
            }
        };
        b.ins().symbol_value(types::I64, symbol)
    }

    pub fn func_type(&self, type_index: u32) -> &FuncType {
        &self.info.types[type_index as usize]
    }

    // ----- builtins ----------------------------------------------------------

    /// Calls a runtime builtin with `(vmctx, exec, args...)`, then checks
    /// the state (builtins without a result) or invalidates the memory
    /// cache (the growth builtins, whose result the caller examines). Returns the
    /// builtin's result, if it has one.
    pub fn call_builtin(&mut self, b: &mut FunctionBuilder<'_>, builtin: Builtin, args: &[Value]) -> Option<Value> {
        let result = self.call_builtin_unchecked(b, builtin, args);
        match result {
            Some(_) => self.invalidate_memory_cache(),
            None => self.check_state(b),
        }
        result
    }

    /// [`FuncEnv::call_builtin`] without the state check or cache reload: for
    /// builtins whose effect on `exec.state` the caller examines itself.
    /// `args` must have the types the builtin is declared with
    /// ([`Builtin::params`]).
    pub fn call_builtin_unchecked(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        builtin: Builtin,
        args: &[Value],
    ) -> Option<Value> {
        debug_assert!(
            args.len() == builtin.params().len()
                && args.iter().zip(builtin.params()).all(|(a, t)| b.func.dfg.value_type(*a) == builtin_ir_type(*t)),
            "arguments of {builtin:?} do not match its declaration"
        );
        // Builtins are called off the hot path, so these loads are not
        // `can_move`: hoisting them would put them on every entry.
        let flags = MemFlagsData::trusted().with_readonly();
        let table = b.ins().load(POINTER, flags, self.vmctx, VMOffsets::BUILTINS as i32);
        let function = b.ins().load(POINTER, flags, table, builtin.offset());
        let signature = match self.builtin_signatures.get(&builtin) {
            Some(sig) => *sig,
            None => {
                let sig = b.import_signature(crate::abi::builtin_signature(self.call_conv, builtin));
                self.builtin_signatures.insert(builtin, sig);
                sig
            }
        };
        let mut full_args = vec![self.vmctx, self.exec];
        full_args.extend_from_slice(args);
        let call = b.ins().call_indirect(signature, function, &full_args);
        b.inst_results(call).first().copied()
    }
}

/// The IR type a builtin's argument or result of type `ty` is passed as.
fn builtin_ir_type(ty: BuiltinType) -> ir::Type {
    match ty {
        BuiltinType::I32 => types::I32,
        BuiltinType::I64 => types::I64,
    }
}

/// `v` as an `i64`: a 32-bit memory's or table's address, index or length
/// (an `i32`) zero-extended, a 64-bit one's as it is.
/// Flags for an exception's payload words: 8-byte aligned, so not aligned
/// for a vector.
fn payload_flags(ty: ir::Type) -> MemFlagsData {
    match ty.is_vector() {
        true => MemFlagsData::new().with_notrap(),
        false => MemFlagsData::trusted(),
    }
}

/// Bytes in a WebAssembly page.
const WASM_PAGE_BYTES: u64 = 65536;

/// How many instructions deep [`upper_bound`] looks.
const BOUND_DEPTH: u32 = 6;

/// The largest value `v` (an integer, read unsigned) can have, if the
/// instructions that compute it say so within `depth` levels: constants,
/// zero-extending loads, and `and`, shifts, `add`, `mul`, `rem_u` and
/// zero extension of bounded values where the result cannot wrap.
fn upper_bound(b: &FunctionBuilder<'_>, v: Value, depth: u32) -> Option<u64> {
    let dfg = &b.func.dfg;
    let type_max = match dfg.value_type(v) {
        types::I32 => u64::from(u32::MAX),
        types::I64 => u64::MAX,
        _ => return None,
    };
    let inst = dfg.value_def(v).inst()?;
    let data = &dfg.insts[inst];
    if let ir::InstructionData::UnaryImm { opcode: ir::Opcode::Iconst, imm } = *data {
        return Some(imm.bits() as u64 & type_max);
    }
    if depth == 0 {
        return None;
    }
    let bound = |x: Value| upper_bound(b, x, depth - 1);
    let fits = |x: u64| (x <= type_max).then_some(x);
    let args = dfg.inst_args(inst);
    match (data.opcode(), args) {
        (ir::Opcode::Uload8, _) => Some(0xff),
        (ir::Opcode::Uload16, _) => Some(0xffff),
        (ir::Opcode::Uload32, _) => Some(0xffff_ffff),
        (ir::Opcode::Uextend, [x]) => bound(*x),
        (ir::Opcode::Band, [x, y]) => match (bound(*x), bound(*y)) {
            (Some(m), Some(n)) => Some(m.min(n)),
            (Some(m), None) | (None, Some(m)) => Some(m),
            (None, None) => None,
        },
        (ir::Opcode::Iadd, [x, y]) => fits(bound(*x)?.checked_add(bound(*y)?)?),
        (ir::Opcode::Imul, [x, y]) => fits(bound(*x)?.checked_mul(bound(*y)?)?),
        (ir::Opcode::Ishl, [x, k]) => {
            // Shifts count modulo the width, as in WebAssembly.
            let k = (constant_value(b, *k)? & (type_max.count_ones() as u64 - 1)) as u32;
            let x = bound(*x)?;
            fits(x.checked_shl(k).filter(|shifted| shifted >> k == x)?)
        }
        (ir::Opcode::Ushr, [x, k]) => {
            let k = (constant_value(b, *k)? & (type_max.count_ones() as u64 - 1)) as u32;
            Some(bound(*x).unwrap_or(type_max) >> k)
        }
        (ir::Opcode::Urem, [_, d]) => constant_value(b, *d).filter(|d| *d > 0).map(|d| d - 1),
        _ => None,
    }
}

/// The value of `v` if an `iconst` defines it, zero-extended from its type.
fn constant_value(b: &FunctionBuilder<'_>, v: Value) -> Option<u64> {
    let inst = b.func.dfg.value_def(v).inst()?;
    let ir::InstructionData::UnaryImm { opcode: ir::Opcode::Iconst, imm } = b.func.dfg.insts[inst] else {
        return None;
    };
    let bits = imm.bits() as u64;
    match b.func.dfg.value_type(v) {
        types::I32 => Some(bits & 0xffff_ffff),
        types::I64 => Some(bits),
        _ => None,
    }
}

pub(super) fn widen(b: &mut FunctionBuilder<'_>, v: Value) -> Value {
    match b.func.dfg.value_type(v) {
        types::I32 => b.ins().uextend(types::I64, v),
        _ => v,
    }
}
