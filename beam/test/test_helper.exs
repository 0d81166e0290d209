# Logger captures the crash reports of servers that fail on purpose.
{:ok, _} = Application.ensure_all_started(:logger)

# No test may meet an {:internal_error, _} reason other than the faults the
# tests inject on purpose (the NIF counts both): checked once all have run.
ExUnit.after_suite(fn _results ->
  %{internal_errors: errors, injected_faults: faults} = Wasmbeam.stats()
  IO.puts("internal errors: #{errors}, injected faults: #{faults}")

  if errors > faults do
    IO.puts(:stderr, "FAILED: #{errors - faults} internal error(s) that no test injected")
    System.halt(1)
  end
end)

ExUnit.start()

defmodule WasmbeamTest.Wat do
  @moduledoc false
  # WebAssembly modules (WAT text) shared by the tests.

  @doc "Numbers, memory, globals, tables, traps, loops: no imports."
  def basic do
    ~S"""
    (module
      (memory (export "memory") 1 4)
      (global $counter (export "counter") (mut i32) (i32.const 0))
      (global (export "big") (mut i64) (i64.const 0x7fffffffffffffff))
      (global (export "ratio") (mut f32) (f32.const 0.5))
      (global (export "pi") f64 (f64.const 3.5))
      (table (export "table") 2 10 funcref)
      (data (i32.const 16) "wasmbeam")

      (func (export "add") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.add)
      (func (export "add64") (param i64 i64) (result i64)
        local.get 0 local.get 1 i64.add)
      (func (export "mul_f32") (param f32 f32) (result f32)
        local.get 0 local.get 1 f32.mul)
      (func (export "div_f64") (param f64 f64) (result f64)
        local.get 0 local.get 1 f64.div)
      (func (export "add_f64") (param f64 f64) (result f64)
        local.get 0 local.get 1 f64.add)
      (func (export "swap") (param i32 i64) (result i64 i32)
        local.get 1 local.get 0)
      (func (export "nothing"))
      (func (export "incr") (result i32)
        global.get $counter i32.const 1 i32.add global.set $counter
        global.get $counter)
      (func (export "load") (param i32) (result i32)
        local.get 0 i32.load)
      (func (export "store") (param i32 i32)
        local.get 0 local.get 1 i32.store)
      (func (export "size") (result i32) memory.size)
      (func (export "div_s") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.div_s)
      (func (export "trunc") (param f64) (result i32)
        local.get 0 i32.trunc_f64_s)
      (func (export "unreachable") unreachable)
      (func (export "call_null")
        i32.const 0 call_indirect)
      ;; Recursion `depth` calls deep.
      (func $depth (export "depth") (param i32) (result i32)
        local.get 0 i32.eqz
        if (result i32)
          i32.const 0
        else
          local.get 0 i32.const 1 i32.sub call $depth i32.const 1 i32.add
        end)
      ;; Recursion without end.
      (func $forever (export "forever") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $forever)
      ;; An endless loop.
      (func (export "spin")
        (loop $l (br $l)))
      ;; Counts from 0 to n.
      (func (export "count") (param $n i64) (result i64)
        (local $i i64)
        (block $done
          (loop $l
            (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i64.add (local.get $i) (i64.const 1)))
            (br $l)))
        (local.get $i))
      ;; Loops until the i32 at address 0 is not 0 (or `max` rounds went by);
      ;; returns the rounds.
      (func (export "wait_for_flag") (param $max i64) (result i64)
        (local $i i64)
        (block $done
          (loop $l
            (br_if $done (i32.load (i32.const 0)))
            (br_if $done (i64.ge_u (local.get $i) (local.get $max)))
            (local.set $i (i64.add (local.get $i) (i64.const 1)))
            (br $l)))
        (local.get $i))
      (func (export "externref_id") (param externref) (result externref)
        local.get 0)
      (func $f)
      (elem declare func $f)
      (func (export "a_funcref") (result funcref) ref.func $f)
      (func (export "null_funcref") (result funcref) ref.null func))
    """
  end

  @doc "Imports env.print(ptr, len), env.upcase(ptr, len, dest), env.twice(x), env.down(n), env.block()."
  def host do
    ~S"""
    (module
      (import "env" "print" (func $print (param i32 i32)))
      (import "env" "upcase" (func $upcase (param i32 i32 i32)))
      (import "env" "twice" (func $twice (param i32) (result i32)))
      (import "env" "down" (func $down (param i32) (result i32)))
      (import "env" "block" (func $block))
      (memory (export "memory") 1)
      (data (i32.const 0) "hello, wasm")

      (func (export "greet")
        (call $print (i32.const 0) (i32.const 11)))
      ;; Has the host upper-case the greeting to address 100, and returns
      ;; the first byte there (as the WebAssembly code sees it).
      (func (export "shout") (result i32)
        (call $upcase (i32.const 0) (i32.const 11) (i32.const 100))
        (i32.load8_u (i32.const 100)))
      (func (export "double") (param i32) (result i32)
        local.get 0 i32.const 2 i32.mul)
      (func (export "twice_plus_one") (param i32) (result i32)
        local.get 0 call $twice i32.const 1 i32.add)
      ;; countdown(n) = down(n) + 1: the host calls countdown(n - 1) again
      ;; while n > 0.
      (func (export "countdown") (param i32) (result i32)
        local.get 0 call $down i32.const 1 i32.add)
      (func (export "blocking") (result i32)
        call $block
        i32.const 42))
    """
  end

  @doc "Host funs for `host/0` that do nothing useful."
  def noop_imports(overrides \\ %{}) do
    env = %{
      "print" => fn _, [_, _] -> [] end,
      "upcase" => fn _, [_, _, _] -> [] end,
      "twice" => fn _, [x] -> [2 * x] end,
      "down" => fn _, [_] -> [0] end,
      "block" => fn _, [] -> [] end
    }

    %{"env" => Map.merge(env, overrides)}
  end

  @doc "Compiles and instantiates `wat`."
  def instance!(wat, imports \\ %{}, opts \\ []) do
    wat |> Wasmbeam.compile!() |> Wasmbeam.instantiate!(imports, opts)
  end
end
