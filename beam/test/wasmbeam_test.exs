defmodule WasmbeamTest do
  use ExUnit.Case, async: true

  import Bitwise
  import WasmbeamTest.Wat

  doctest Wasmbeam
  doctest Wasmbeam.Error

  # (module (func (export "add") (param i32 i32) (result i32)
  #   local.get 0 local.get 1 i32.add))
  @add_wasm <<0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00>> <>
              <<0x01, 0x07, 0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F>> <>
              <<0x03, 0x02, 0x01, 0x00>> <>
              <<0x07, 0x07, 0x01, 0x03, "add", 0x00, 0x00>> <>
              <<0x0A, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B>>

  setup_all do
    %{basic: Wasmbeam.compile!(basic())}
  end

  setup %{basic: module} do
    %{instance: Wasmbeam.instantiate!(module)}
  end

  describe "compile/1" do
    test "compiles WebAssembly bytes" do
      assert {:ok, %Wasmbeam.Module{} = module} = Wasmbeam.compile(@add_wasm)
      assert {:ok, [{"add", {:function, [:i32, :i32], [:i32]}}]} = Wasmbeam.exports(module)
      assert Wasmbeam.call(Wasmbeam.instantiate!(module), "add", [40, 2]) == {:ok, [42]}
    end

    test "compiles WAT text, as a binary or as iodata" do
      assert {:ok, %Wasmbeam.Module{}} = Wasmbeam.compile(basic())
      assert {:ok, module} = Wasmbeam.compile(["(module ", [~c"(func (export \"f\"))", ?)]])
      assert Wasmbeam.exports!(module) == [{"f", {:function, [], []}}]
    end

    test "compiles a module large enough for a dirty scheduler" do
      functions =
        for i <- 1..200,
            do: "(func (export \"f#{i}\") (result i32) i32.const #{i})\n"

      module = Wasmbeam.compile!(["(module\n", functions, ")"])
      instance = Wasmbeam.instantiate!(module)
      assert Wasmbeam.call(instance, "f123", []) == {:ok, [123]}
    end

    test "invalid WAT is {:invalid_module, message}" do
      assert {:error, {:invalid_module, message}} = Wasmbeam.compile("(module (func (result i32)")
      assert is_binary(message) and message != ""
    end

    test "an invalid binary module is {:invalid_module, message}" do
      # The right header, then a section of an unknown id.
      assert {:error, {:invalid_module, message}} =
               Wasmbeam.compile(<<0, "asm", 1, 0, 0, 0, 0x7F, 0x01, 0x00>>)

      assert is_binary(message)

      # Valid structure, but the function returns nothing where i32 is due.
      assert {:error, {:invalid_module, _}} = Wasmbeam.compile("(module (func (result i32)))")
    end

    test "a source that is not iodata is {:bad_argument, description}" do
      assert {:error, {:bad_argument, _}} = Wasmbeam.compile(:not_a_module)
      assert {:error, {:bad_argument, _}} = Wasmbeam.compile(42)
    end

    test "compile!/1 returns the module or raises Wasmbeam.Error" do
      assert %Wasmbeam.Module{} = Wasmbeam.compile!(@add_wasm)

      error =
        assert_raise Wasmbeam.Error, ~r/^invalid module: /, fn -> Wasmbeam.compile!("(module") end

      assert {:invalid_module, _} = error.reason
    end
  end

  describe "exports/1 and imports/1" do
    test "describe every kind of export, in order", %{basic: module} do
      assert {:ok, exports} = Wasmbeam.exports(module)

      assert Enum.take(exports, 6) == [
               {"memory", {:memory, %{min: 1, max: 4}}},
               {"counter", {:global, %{type: :i32, mutable: true}}},
               {"big", {:global, %{type: :i64, mutable: true}}},
               {"ratio", {:global, %{type: :f32, mutable: true}}},
               {"pi", {:global, %{type: :f64, mutable: false}}},
               {"table", {:table, %{element: :funcref, min: 2, max: 10}}}
             ]

      exports = Map.new(exports)
      assert exports["add"] == {:function, [:i32, :i32], [:i32]}
      assert exports["add64"] == {:function, [:i64, :i64], [:i64]}
      assert exports["mul_f32"] == {:function, [:f32, :f32], [:f32]}
      assert exports["swap"] == {:function, [:i32, :i64], [:i64, :i32]}
      assert exports["nothing"] == {:function, [], []}
      assert exports["externref_id"] == {:function, [:externref], [:externref]}
      assert exports["a_funcref"] == {:function, [], [:funcref]}
      assert Wasmbeam.exports!(module) == Wasmbeam.exports(module) |> elem(1)
    end

    test "describe every kind of import, in order" do
      module =
        Wasmbeam.compile!(~S"""
        (module
          (import "env" "f" (func (param i32 f64) (result i64)))
          (import "env" "mem" (memory 1 2))
          (import "js" "table" (table 0 externref))
          (import "js" "g" (global (mut f32))))
        """)

      assert Wasmbeam.imports(module) ==
               {:ok,
                [
                  {"env", "f", {:function, [:i32, :f64], [:i64]}},
                  {"env", "mem", {:memory, %{min: 1, max: 2}}},
                  {"js", "table", {:table, %{element: :externref, min: 0, max: :infinity}}},
                  {"js", "g", {:global, %{type: :f32, mutable: true}}}
                ]}

      assert Wasmbeam.imports!(module) == Wasmbeam.imports(module) |> elem(1)
      assert Wasmbeam.imports(Wasmbeam.compile!("(module)")) == {:ok, []}
    end

    test "something else than a module is {:bad_argument, _}", %{instance: instance} do
      assert {:error, {:bad_argument, "not a module"}} = Wasmbeam.exports(instance)
      assert {:error, {:bad_argument, "not a module"}} = Wasmbeam.imports(make_ref())

      assert_raise Wasmbeam.Error, "bad argument: not a module", fn ->
        Wasmbeam.exports!(:nope)
      end
    end
  end

  describe "instantiate/3" do
    test "makes independent instances", %{basic: module} do
      a = Wasmbeam.instantiate!(module)
      b = Wasmbeam.instantiate!(module)
      assert Wasmbeam.call!(a, "incr", []) == [1]
      assert Wasmbeam.call!(a, "incr", []) == [2]
      assert Wasmbeam.call!(b, "incr", []) == [1]
      :ok = Wasmbeam.write_memory!(a, 0, "A")
      assert Wasmbeam.read_memory!(b, 0, 1) == <<0>>
    end

    test "a missing import is {:link_error, message}" do
      module = Wasmbeam.compile!(host())
      assert {:error, {:link_error, message}} = Wasmbeam.instantiate(module)
      assert message =~ "env"

      imports = %{"env" => Map.delete(noop_imports()["env"], "block")}
      assert {:error, {:link_error, message}} = Wasmbeam.instantiate(module, imports)
      assert message =~ "block"
    end

    test "only functions can be imported" do
      module = Wasmbeam.compile!(~S[(module (import "env" "mem" (memory 1)))])
      assert {:error, {:link_error, _}} = Wasmbeam.instantiate(module, %{"env" => %{}})
    end

    test "malformed imports and options are {:bad_argument, _}", %{basic: module} do
      host = Wasmbeam.compile!(host())
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(module, [])
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(host, %{env: %{}})
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(host, %{"env" => []})

      wrong_arity = noop_imports(%{"print" => fn _ -> [] end})
      assert {:error, {:bad_argument, message}} = Wasmbeam.instantiate(host, wrong_arity)
      assert message =~ "print"

      not_a_fun = noop_imports(%{"print" => :print})
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(host, not_a_fun)

      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(module, %{}, [:fuel_limit])
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(module, %{}, fuel: 1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(module, %{}, fuel_limit: 0)
      assert {:error, {:bad_argument, _}} = Wasmbeam.instantiate(module, %{}, memory_limit: -1)
      assert {:error, {:bad_argument, "not a module"}} = Wasmbeam.instantiate(:module)
    end

    test "options may also be a map", %{basic: module} do
      instance = Wasmbeam.instantiate!(module, %{}, %{fuel_limit: 1000})
      assert Wasmbeam.call(instance, "spin", []) == {:error, {:trap, :out_of_fuel}}
    end

    test "memory_limit caps the memory", %{basic: module} do
      assert {:error, {:limit, _}} = Wasmbeam.instantiate(module, %{}, memory_limit: 65535)

      instance = Wasmbeam.instantiate!(module, %{}, memory_limit: 2 * 65536)
      assert Wasmbeam.grow_memory(instance, 1) == {:ok, 1}
      assert {:error, {:limit, _}} = Wasmbeam.grow_memory(instance, 1)
      assert Wasmbeam.memory_size(instance) == {:ok, 2 * 65536}
    end

    test "stack_limit bounds recursion", %{basic: module} do
      assert Wasmbeam.call(Wasmbeam.instantiate!(module), "depth", [1000]) == {:ok, [1000]}

      small = Wasmbeam.instantiate!(module, %{}, stack_limit: 16 * 1024)
      assert Wasmbeam.call(small, "depth", [100_000]) == {:error, {:trap, :call_stack_exhausted}}
      assert Wasmbeam.call(small, "depth", [10]) == {:ok, [10]}
    end

    test "instantiate!/3 raises Wasmbeam.Error" do
      module = Wasmbeam.compile!(host())

      error =
        assert_raise Wasmbeam.Error, ~r/^link error: /, fn -> Wasmbeam.instantiate!(module) end

      assert {:link_error, _} = error.reason
    end
  end

  describe "call/4 with values" do
    test "i32: signed or unsigned arguments, signed results", %{instance: i} do
      assert Wasmbeam.call(i, "add", [2, 3]) == {:ok, [5]}
      assert Wasmbeam.call(i, :add, [-2, -3]) == {:ok, [-5]}
      assert Wasmbeam.call(i, "add", [0xFFFFFFFF, 1]) == {:ok, [0]}
      assert Wasmbeam.call(i, "add", [0x7FFFFFFF, 1]) == {:ok, [-0x80000000]}
      assert Wasmbeam.call(i, "add", [0xFFFFFFFF, 0]) == {:ok, [-1]}
    end

    test "i64: signed or unsigned arguments, signed results", %{instance: i} do
      assert Wasmbeam.call(i, "add64", [1 <<< 40, 1 <<< 40]) == {:ok, [1 <<< 41]}
      assert Wasmbeam.call(i, "add64", [0x7FFFFFFFFFFFFFFF, 1]) == {:ok, [-0x8000000000000000]}
      assert Wasmbeam.call(i, "add64", [0xFFFFFFFFFFFFFFFF, 0]) == {:ok, [-1]}
      assert Wasmbeam.call(i, "add64", [-0x8000000000000000, -1]) == {:ok, [0x7FFFFFFFFFFFFFFF]}
    end

    test "f32: floats or integers, rounded to single precision", %{instance: i} do
      assert Wasmbeam.call(i, "mul_f32", [1.5, 2]) == {:ok, [3.0]}
      assert Wasmbeam.call(i, "mul_f32", [0.1, 1.0]) == {:ok, [0.10000000149011612]}
      assert Wasmbeam.call(i, "mul_f32", [1.0e30, 1.0e30]) == {:ok, [:infinity]}
      assert Wasmbeam.call(i, "mul_f32", [:neg_infinity, 2.0]) == {:ok, [:neg_infinity]}
      assert Wasmbeam.call(i, "mul_f32", [:infinity, 0.0]) == {:ok, [:nan]}
    end

    test "f64: floats, integers, :infinity, :neg_infinity and :nan", %{instance: i} do
      assert Wasmbeam.call(i, "div_f64", [1, 4]) == {:ok, [0.25]}
      assert Wasmbeam.call(i, "div_f64", [1.0, 0.0]) == {:ok, [:infinity]}
      assert Wasmbeam.call(i, "div_f64", [-1.0, 0.0]) == {:ok, [:neg_infinity]}
      assert Wasmbeam.call(i, "div_f64", [0.0, 0.0]) == {:ok, [:nan]}
      assert Wasmbeam.call(i, "add_f64", [:nan, 1.0]) == {:ok, [:nan]}
      assert Wasmbeam.call(i, "add_f64", [:infinity, 1.0e308]) == {:ok, [:infinity]}
      assert Wasmbeam.call(i, "add_f64", [:infinity, :neg_infinity]) == {:ok, [:nan]}
      assert Wasmbeam.call(i, "div_f64", [1.0, :infinity]) == {:ok, [0.0]}
      assert Wasmbeam.call(i, "add_f64", [1.5, 2.25]) == {:ok, [3.75]}
    end

    test "several results, and none", %{instance: i} do
      assert Wasmbeam.call(i, "swap", [7, -8]) == {:ok, [-8, 7]}
      assert Wasmbeam.call(i, "nothing", []) == {:ok, []}
      assert Wasmbeam.call!(i, "nothing", []) == []
    end

    test "references", %{instance: i} do
      assert Wasmbeam.call(i, "externref_id", [{:externref, 42}]) == {:ok, [{:externref, 42}]}
      assert Wasmbeam.call(i, "externref_id", [:null]) == {:ok, [:null]}
      assert Wasmbeam.call(i, "a_funcref", []) == {:ok, [:funcref]}
      assert Wasmbeam.call(i, "null_funcref", []) == {:ok, [:null]}
    end

    test "traps are {:trap, code}, and the instance stays usable", %{instance: i} do
      assert Wasmbeam.call(i, "unreachable", []) == {:error, {:trap, :unreachable}}
      assert Wasmbeam.call(i, "div_s", [1, 0]) == {:error, {:trap, :integer_divide_by_zero}}
      assert Wasmbeam.call(i, "div_s", [-0x80000000, -1]) == {:error, {:trap, :integer_overflow}}

      assert Wasmbeam.call(i, "trunc", [:nan]) ==
               {:error, {:trap, :invalid_conversion_to_integer}}

      assert Wasmbeam.call(i, "trunc", [1.0e20]) == {:error, {:trap, :integer_overflow}}
      assert Wasmbeam.call(i, "load", [65536]) == {:error, {:trap, :out_of_bounds_memory_access}}
      assert Wasmbeam.call(i, "call_null", []) == {:error, {:trap, :uninitialized_element}}
      assert Wasmbeam.call(i, "forever", [0]) == {:error, {:trap, :call_stack_exhausted}}
      assert Wasmbeam.call(i, "add", [1, 1]) == {:ok, [2]}
    end

    test "call!/4 returns the results or raises Wasmbeam.Error", %{instance: i} do
      assert Wasmbeam.call!(i, "add", [1, 2]) == [3]

      error =
        assert_raise Wasmbeam.Error, "WebAssembly trap: unreachable", fn ->
          Wasmbeam.call!(i, "unreachable", [])
        end

      assert error.reason == {:trap, :unreachable}
    end
  end

  describe "bad arguments" do
    test "the wrong number of arguments", %{instance: i} do
      assert Wasmbeam.call(i, "add", [1]) ==
               {:error, {:bad_argument, "expected 2 arguments, got 1"}}

      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add", [1, 2, 3])
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "nothing", [1])
    end

    test "arguments of the wrong type or range", %{instance: i} do
      for args <- [[1, "2"], [1, 2.0], [1, :nan], [1, 1 <<< 32], [1, -(1 <<< 31) - 1], [1, nil]] do
        assert {:error, {:bad_argument, message}} = Wasmbeam.call(i, "add", args)
        assert message =~ "argument 2"
      end

      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add64", [1 <<< 64, 0])
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add_f64", [:pi, 0])
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "externref_id", [42])
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add", {1, 2})
    end

    test "an unknown export, or one that is not a function", %{instance: i} do
      assert {:error, {:bad_argument, message}} = Wasmbeam.call(i, "nope", [])
      assert message =~ "nope"
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "memory", [])
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, 42, [])
    end

    test "bad call options", %{instance: i} do
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add", [1, 2], timeout: -1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add", [1, 2], fuel_limit: :lots)
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add", [1, 2], memory_limit: 1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(i, "add", [1, 2], :infinity)
    end

    test "not an instance", %{basic: module} do
      assert {:error, {:bad_argument, "not an instance"}} = Wasmbeam.call(module, "add", [1, 2])
      assert {:error, {:bad_argument, _}} = Wasmbeam.call(self(), "add", [1, 2])
      assert {:error, {:bad_argument, _}} = Wasmbeam.read_memory(module, 0, 1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.write_memory(:x, 0, "")
      assert {:error, {:bad_argument, _}} = Wasmbeam.memory_size(module)
      assert {:error, {:bad_argument, _}} = Wasmbeam.grow_memory(module, 1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.get_global(module, "counter")
      assert {:error, {:bad_argument, _}} = Wasmbeam.set_global(module, "counter", 1)
    end
  end

  describe "memory" do
    test "read and write from Elixir, seen by WebAssembly", %{instance: i} do
      assert Wasmbeam.read_memory(i, 16, 8) == {:ok, "wasmbeam"}
      assert Wasmbeam.write_memory(i, 100, <<1, 2, 3, 4>>) == :ok
      assert Wasmbeam.call(i, "load", [100]) == {:ok, [0x04030201]}
      assert Wasmbeam.call(i, "store", [200, -1]) == {:ok, []}
      assert Wasmbeam.read_memory!(i, 199, 6) == <<0, 255, 255, 255, 255, 0>>
      assert Wasmbeam.read_memory(i, 65530, 6) == {:ok, <<0::48>>}
      assert Wasmbeam.read_memory(i, 0, 0) == {:ok, ""}
    end

    test "accesses outside the memory are {:bad_argument, _}", %{instance: i} do
      assert {:error, {:bad_argument, message}} = Wasmbeam.read_memory(i, 65530, 7)
      assert message =~ "out of bounds"
      assert {:error, {:bad_argument, _}} = Wasmbeam.write_memory(i, 65536, "x")
      assert {:error, {:bad_argument, _}} = Wasmbeam.read_memory(i, -1, 1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.write_memory(i, 0, [1, 2])

      assert_raise Wasmbeam.Error, ~r/out of bounds/, fn ->
        Wasmbeam.read_memory!(i, 70_000, 1)
      end

      assert_raise Wasmbeam.Error, fn -> Wasmbeam.write_memory!(i, 70_000, "x") end
    end

    test "grows up to its maximum", %{instance: i} do
      assert Wasmbeam.memory_size(i) == {:ok, 65536}
      assert Wasmbeam.grow_memory(i, 0) == {:ok, 1}
      assert Wasmbeam.grow_memory(i, 2) == {:ok, 1}
      assert Wasmbeam.memory_size!(i) == 3 * 65536
      assert Wasmbeam.call(i, "size", []) == {:ok, [3]}
      assert Wasmbeam.write_memory(i, 3 * 65536 - 4, <<7, 0, 0, 0>>) == :ok
      assert Wasmbeam.call(i, "load", [3 * 65536 - 4]) == {:ok, [7]}

      assert {:error, {:limit, _}} = Wasmbeam.grow_memory(i, 2)
      assert_raise Wasmbeam.Error, ~r/^limit exceeded: /, fn -> Wasmbeam.grow_memory!(i, 2) end
      assert Wasmbeam.grow_memory!(i, 1) == 3
      assert Wasmbeam.memory_size(i) == {:ok, 4 * 65536}
      assert {:error, {:bad_argument, _}} = Wasmbeam.grow_memory(i, -1)
    end

    test "large copies (on a dirty scheduler) and the read limit" do
      big = instance!(~S[(module (memory (export "memory") 40))])
      data = :binary.copy(<<1, 2, 3, 4, 5, 6, 7, 8>>, 256 * 1024)
      assert Wasmbeam.write_memory(big, 12_345, data) == :ok
      assert Wasmbeam.read_memory(big, 12_345, byte_size(data)) == {:ok, data}
      assert {:error, {:limit, _}} = Wasmbeam.read_memory(big, 0, 2 <<< 30)
    end

    test "several memories, by index or export name" do
      i =
        instance!(~S"""
        (module
          (memory 1)
          (memory (export "big") 2 3)
          (func (export "load_both") (param i32) (result i32 i32)
            (i32.load8_u 0 (local.get 0)) (i32.load8_u 1 (local.get 0))))
        """)

      assert Wasmbeam.write_memory(i, 3, <<5>>, memory: 0) == :ok
      assert Wasmbeam.write_memory!(i, 3, <<6>>, memory: :big) == :ok
      assert Wasmbeam.call(i, "load_both", [3]) == {:ok, [5, 6]}
      assert Wasmbeam.read_memory!(i, 3, 1, memory: "big") == <<6>>
      # Only memory 1 is exported, so it is the default.
      assert Wasmbeam.memory_size!(i) == 2 * 65536
      assert Wasmbeam.memory_size(i, memory: 0) == {:ok, 65536}
      assert Wasmbeam.grow_memory!(i, 1, memory: 1) == 2
      assert {:error, {:limit, _}} = Wasmbeam.grow_memory(i, 1, memory: "big")
      assert {:error, {:bad_argument, message}} = Wasmbeam.read_memory(i, 0, 1, memory: 2)
      assert message =~ "no memory 2"
      assert {:error, {:bad_argument, _}} = Wasmbeam.read_memory(i, 0, 1, memory: "small")
      assert {:error, {:bad_argument, _}} = Wasmbeam.read_memory(i, 0, 1, memory: -1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.memory_size(i, size: 1)
      assert {:error, {:bad_argument, _}} = Wasmbeam.memory_size(i, :big)
      assert_raise Wasmbeam.Error, ~r/no exported memory named `small`/, fn ->
        Wasmbeam.memory_size!(i, memory: :small)
      end
    end

    test "an instance without memory" do
      i = instance!("(module)")
      assert {:error, {:bad_argument, _}} = Wasmbeam.memory_size(i)
      assert {:error, {:bad_argument, _}} = Wasmbeam.read_memory(i, 0, 0)
      assert {:error, {:bad_argument, _}} = Wasmbeam.grow_memory(i, 1)
    end
  end

  describe "globals" do
    test "get and set, by string or atom name", %{instance: i} do
      assert Wasmbeam.get_global(i, "counter") == {:ok, 0}
      assert Wasmbeam.call!(i, "incr", []) == [1]
      assert Wasmbeam.get_global(i, :counter) == {:ok, 1}
      assert Wasmbeam.set_global(i, "counter", 41) == :ok
      assert Wasmbeam.call!(i, "incr", []) == [42]
      assert Wasmbeam.set_global!(i, "counter", 0xFFFFFFFF) == :ok
      assert Wasmbeam.get_global!(i, "counter") == -1

      assert Wasmbeam.get_global(i, "big") == {:ok, 0x7FFFFFFFFFFFFFFF}
      assert Wasmbeam.set_global(i, "big", -5) == :ok
      assert Wasmbeam.get_global(i, "big") == {:ok, -5}

      assert Wasmbeam.get_global(i, "ratio") == {:ok, 0.5}
      assert Wasmbeam.set_global(i, "ratio", :nan) == :ok
      assert Wasmbeam.get_global(i, "ratio") == {:ok, :nan}
      assert Wasmbeam.set_global(i, "ratio", 2) == :ok
      assert Wasmbeam.get_global(i, "ratio") == {:ok, 2.0}

      assert Wasmbeam.get_global(i, "pi") == {:ok, 3.5}
    end

    test "errors", %{instance: i} do
      assert {:error, {:bad_argument, message}} = Wasmbeam.set_global(i, "pi", 3.0)
      assert message =~ "immutable"
      assert Wasmbeam.get_global(i, "pi") == {:ok, 3.5}
      assert {:error, {:bad_argument, _}} = Wasmbeam.set_global(i, "counter", 1.5)
      assert {:error, {:bad_argument, _}} = Wasmbeam.set_global(i, "counter", 1 <<< 33)
      assert {:error, {:bad_argument, _}} = Wasmbeam.get_global(i, "nope")
      assert {:error, {:bad_argument, _}} = Wasmbeam.get_global(i, "add")
      assert {:error, {:bad_argument, _}} = Wasmbeam.get_global(i, 1)
      assert_raise Wasmbeam.Error, ~r/^bad argument: /, fn -> Wasmbeam.get_global!(i, "nope") end
      assert_raise Wasmbeam.Error, ~r/immutable/, fn -> Wasmbeam.set_global!(i, "pi", 1.0) end
    end
  end

  describe "Inspect" do
    test "shows a module's exports and an instance's reference", %{basic: module, instance: i} do
      assert inspect(Wasmbeam.compile!(@add_wasm)) == ~s(#Wasmbeam.Module<exports: ["add"]>)
      assert inspect(module) =~ ~r/^#Wasmbeam.Module<exports: \["memory", "counter", /
      assert inspect(i) =~ ~r/^#Wasmbeam.Instance<#Reference<[\d.]+>>$/
    end
  end

  test "stats/0 counts live modules and instances" do
    stats = Wasmbeam.stats()

    assert %{modules: m, instances: n, calls: c, reschedules: r, longest_slice_us: l} = stats
    assert Enum.all?([m, n, c, r, l], &is_integer/1)
    assert m >= 1 and n >= 1
  end
end
