defmodule Wasmbeam.HostFunTest do
  use ExUnit.Case, async: true

  import WasmbeamTest.Wat

  setup_all do
    %{module: Wasmbeam.compile!(host())}
  end

  defp instantiate!(module, overrides), do: Wasmbeam.instantiate!(module, noop_imports(overrides))

  test "a host fun gets the caller as a %Wasmbeam.Instance{} and the arguments", %{module: module} do
    test = self()

    print = fn caller, [ptr, len] = args ->
      send(test, {:print, caller, args, self(), Wasmbeam.read_memory!(caller, ptr, len)})
      []
    end

    instance = instantiate!(module, %{"print" => print})
    assert Wasmbeam.call(instance, "greet", []) == {:ok, []}
    assert_received {:print, caller, [0, 11], pid, "hello, wasm"}
    assert %Wasmbeam.Instance{} = caller
    assert caller.ref == instance.ref
    # It ran in the process that made the call.
    assert pid == self()
  end

  test "a host fun writes the caller's memory, and WebAssembly sees it", %{module: module} do
    upcase = fn caller, [ptr, len, dest] ->
      text = Wasmbeam.read_memory!(caller, ptr, len)
      :ok = Wasmbeam.write_memory(caller, dest, String.upcase(text))
      {:ok, size} = Wasmbeam.memory_size(caller)
      true = size == 65536
      []
    end

    instance = instantiate!(module, %{"upcase" => upcase})
    assert Wasmbeam.call(instance, "shout", []) == {:ok, [?H]}
    assert Wasmbeam.read_memory(instance, 100, 11) == {:ok, "HELLO, WASM"}
  end

  test "a host fun calls back into its instance", %{module: module} do
    twice = fn caller, [x] -> Wasmbeam.call!(caller, "double", [x]) end
    instance = instantiate!(module, %{"twice" => twice})
    assert Wasmbeam.call(instance, "twice_plus_one", [20]) == {:ok, [41]}
  end

  test "calls nest: WebAssembly -> host -> WebAssembly -> host ...", %{module: module} do
    test = self()

    down = fn caller, [n] ->
      send(test, {:down, n})

      if n > 0 do
        # countdown(n - 1) = down(n - 1) + 1
        Wasmbeam.call!(caller, "countdown", [n - 1])
      else
        [100]
      end
    end

    instance = instantiate!(module, %{"down" => down})
    assert Wasmbeam.call(instance, "countdown", [5]) == {:ok, [106]}
    for n <- 5..0//-1, do: assert_received({:down, ^n})
    # All calls are over: the instance is free for another process.
    assert Task.async(fn -> Wasmbeam.call(instance, "double", [4]) end) |> Task.await() ==
             {:ok, [8]}
  end

  test "a raising host fun is {:host_error, :error, exception, stacktrace}", %{module: module} do
    instance =
      instantiate!(module, %{"twice" => fn _, [_] -> raise ArgumentError, "no twice" end})

    assert {:error, {:host_error, :error, %ArgumentError{message: "no twice"}, stacktrace}} =
             Wasmbeam.call(instance, "twice_plus_one", [1])

    assert [_ | _] = stacktrace
    assert Enum.any?(stacktrace, &match?({__MODULE__, _, _, _}, &1))
    # The instance is free again.
    assert Wasmbeam.call(instance, "double", [21]) == {:ok, [42]}
  end

  test "the ! variant raises Wasmbeam.Error with the host error", %{module: module} do
    instance = instantiate!(module, %{"twice" => fn _, [_] -> raise "host failure" end})

    error =
      assert_raise Wasmbeam.Error, ~r/^a host function failed: .*host failure/s, fn ->
        Wasmbeam.call!(instance, "twice_plus_one", [1])
      end

    assert {:host_error, :error, %RuntimeError{message: "host failure"}, [_ | _]} = error.reason
  end

  test "throws and exits are host errors of their kind", %{module: module} do
    instance = instantiate!(module, %{"twice" => fn _, [x] -> throw({:thrown, x}) end})

    assert {:error, {:host_error, :throw, {:thrown, 7}, _}} =
             Wasmbeam.call(instance, "twice_plus_one", [7])

    instance = instantiate!(module, %{"twice" => fn _, [_] -> exit(:gone) end})

    assert {:error, {:host_error, :exit, :gone, _}} =
             Wasmbeam.call(instance, "twice_plus_one", [7])
  end

  test "an error inside a nested call is the outer call's host error", %{module: module} do
    # twice -> double with a bad argument: the inner call! raises.
    twice = fn caller, [_] -> Wasmbeam.call!(caller, "double", [:bad]) end
    instance = instantiate!(module, %{"twice" => twice})

    assert {:error, {:host_error, :error, %Wasmbeam.Error{reason: {:bad_argument, _}}, _}} =
             Wasmbeam.call(instance, "twice_plus_one", [1])

    assert Wasmbeam.call(instance, "double", [1]) == {:ok, [2]}
  end

  test "results of the wrong type or count are a host error", %{module: module} do
    for results <- [[], [1, 2], [:x], [1.5], :not_a_list] do
      instance = instantiate!(module, %{"twice" => fn _, [_] -> results end})

      assert {:error, {:host_error, :error, {:bad_results, description}, []}} =
               Wasmbeam.call(instance, "twice_plus_one", [1]),
             "results: #{inspect(results)}"

      assert is_binary(description)
      assert Wasmbeam.call(instance, "double", [1]) == {:ok, [2]}
    end

    instance = instantiate!(module, %{"twice" => fn _, [_] -> [:oops] end})

    assert_raise Wasmbeam.Error, ~r/^a host function returned bad results: /, fn ->
      Wasmbeam.call!(instance, "twice_plus_one", [1])
    end
  end

  test "a host fun may receive messages while the call waits", %{module: module} do
    test = self()

    block = fn _, [] ->
      send(test, {:blocked, self()})

      receive do
        :go -> []
      end
    end

    instance = instantiate!(module, %{"block" => block})
    task = Task.async(fn -> Wasmbeam.call(instance, "blocking", []) end)
    assert_receive {:blocked, pid}
    assert pid == task.pid
    # Memory is readable from another process while the call is suspended.
    assert Wasmbeam.read_memory(instance, 0, 5) == {:ok, "hello"}
    send(pid, :go)
    assert Task.await(task) == {:ok, [42]}
  end

  test "the start function runs in the instantiating process and may call host funs" do
    test = self()

    module =
      Wasmbeam.compile!(~S"""
      (module
        (import "env" "started" (func $started (param i32)))
        (global $g (export "g") (mut i32) (i32.const 0))
        (func $init
          (global.set $g (i32.const 5))
          (call $started (i32.const 5)))
        (start $init))
      """)

    imports = %{"env" => %{"started" => fn _, [n] -> send(test, {:started, n, self()}) && [] end}}
    instance = Wasmbeam.instantiate!(module, imports)
    assert_received {:started, 5, pid}
    assert pid == self()
    assert Wasmbeam.get_global(instance, "g") == {:ok, 5}

    failing = %{"env" => %{"started" => fn _, [_] -> raise "no start" end}}

    assert {:error, {:host_error, :error, %RuntimeError{}, _}} =
             Wasmbeam.instantiate(module, failing)
  end

  test "a trapping start function fails the instantiation" do
    module = Wasmbeam.compile!("(module (func $s unreachable) (start $s))")
    assert Wasmbeam.instantiate(module) == {:error, {:trap, :unreachable}}
  end
end
