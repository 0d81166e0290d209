defmodule Wasmbeam.InstanceTest do
  use ExUnit.Case, async: true

  import WasmbeamTest.Wat

  alias Wasmbeam.Instance

  setup_all do
    %{basic: Wasmbeam.compile!(basic()), host: Wasmbeam.compile!(host())}
  end

  test "start_link/1 with a compiled module; calls run through the server", %{basic: module} do
    server = start_supervised!({Instance, module: module})
    assert Instance.call(server, "add", [1, 2]) == {:ok, [3]}
    assert Instance.call(server, :incr, []) == {:ok, [1]}
    assert Instance.call(server, "incr", []) == {:ok, [2]}
    assert Instance.call!(server, "incr", []) == [3]
    assert Instance.call(server, "div_s", [1, 0]) == {:error, {:trap, :integer_divide_by_zero}}
    assert Instance.call(server, "nope", []) |> elem(0) == :error

    assert_raise Wasmbeam.Error, ~r/integer divide by zero/, fn ->
      Instance.call!(server, "div_s", [1, 0])
    end

    # The server survives failed calls.
    assert Instance.call(server, "incr", []) == {:ok, [4]}
  end

  test "start_link/1 compiles WAT text or Wasm bytes" do
    server =
      start_supervised!(
        {Instance, module: ~S[(module (func (export "one") (result i32) i32.const 1))]}
      )

    assert Instance.call(server, "one", []) == {:ok, [1]}
  end

  test "call options and the GenServer timeout", %{basic: module} do
    server = start_supervised!({Instance, module: module, options: [fuel_limit: 10_000]})
    assert Instance.call(server, "spin", []) == {:error, {:trap, :out_of_fuel}}
    assert Instance.call(server, "count", [100_000], fuel_limit: :infinity) == {:ok, [100_000]}

    assert Instance.call(server, "spin", [], [fuel_limit: :infinity, timeout: 20], 5000) ==
             {:error, :timeout}

    assert Instance.call(server, "add", [2, 2], [], 5000) == {:ok, [4]}
  end

  test "instance/1 gives the struct, usable from other processes", %{basic: module} do
    server = start_supervised!({Instance, module: module})
    instance = Instance.instance(server)
    assert %Instance{} = instance
    assert Wasmbeam.read_memory(instance, 16, 8) == {:ok, "wasmbeam"}
    :ok = Wasmbeam.write_memory(instance, 64, <<9, 0, 0, 0>>)
    assert Instance.call(server, "load", [64]) == {:ok, [9]}
    :ok = Wasmbeam.set_global(instance, "counter", 10)
    assert Instance.call(server, "incr", []) == {:ok, [11]}
  end

  test "host funs and the start function run in the server process" do
    test = self()

    module =
      Wasmbeam.compile!(~S"""
      (module
        (import "env" "where" (func $where (param i32)))
        (func $start (call $where (i32.const 0)))
        (start $start)
        (func (export "run") (call $where (i32.const 1))))
      """)

    where = fn caller, [n] ->
      send(test, {:where, n, self(), caller})
      []
    end

    server =
      start_supervised!({Instance, module: module, imports: %{"env" => %{"where" => where}}})

    assert_received {:where, 0, ^server, %Instance{} = caller}
    assert Instance.instance(server) == caller

    assert Instance.call(server, "run", []) == {:ok, []}
    assert_received {:where, 1, ^server, ^caller}
  end

  test "a host fun of the server may call back into the instance", %{host: module} do
    twice = fn caller, [x] -> Wasmbeam.call!(caller, "double", [x]) end

    server =
      start_supervised!({Instance, module: module, imports: noop_imports(%{"twice" => twice})})

    assert Instance.call(server, "twice_plus_one", [5]) == {:ok, [11]}
  end

  test "a registered name", %{basic: module} do
    name = :"wasm_instance_#{System.unique_integer([:positive])}"
    pid = start_supervised!({Instance, module: module, name: name})
    assert Process.whereis(name) == pid
    assert Instance.call(name, "add", [20, 22]) == {:ok, [42]}
  end

  describe "failing to start" do
    @describetag :capture_log

    test "an invalid module stops the server with the reason" do
      assert {:error, {:invalid_module, _}} = Instance.start(module: "(module")

      assert {:error, {:invalid_module, _}} =
               Instance.start(module: <<0, "asm", 1, 0, 0, 0, 0xFF>>)
    end

    test "a link error stops the server with the reason", %{host: module} do
      assert {:error, {:link_error, _}} = Instance.start(module: module)
    end

    test "a trap in the start function stops the server with the reason" do
      assert {:error, {:trap, :unreachable}} =
               Instance.start(module: "(module (func $s unreachable) (start $s))")
    end

    test "bad options", %{basic: module} do
      assert {:error, {:bad_argument, _}} = Instance.start([])
      assert {:error, {:bad_argument, _}} = Instance.start(module: module, options: [nope: 1])
    end

    test "start_link/1 returns the error, and the linked caller gets the exit", %{host: module} do
      Process.flag(:trap_exit, true)
      assert {:error, {:link_error, _} = reason} = Instance.start_link(module: module)
      assert_receive {:EXIT, _pid, ^reason}
    end

    test "under a supervisor" do
      assert {:error, {{:invalid_module, _}, _child}} =
               start_supervised({Instance, module: "(module"})
    end
  end

  describe "child_spec/1" do
    test "the id is :id, else :name, else the module" do
      assert %{id: Instance, start: {Instance, :start_link, [[module: "m"]]}} =
               Instance.child_spec(module: "m")

      assert %{id: :my_name, start: {Instance, :start_link, [[name: :my_name]]}} =
               Instance.child_spec(name: :my_name)

      assert %{id: :my_id, start: {Instance, :start_link, [[name: :n]]}} =
               Instance.child_spec(id: :my_id, name: :n)
    end
  end

  describe "under a Supervisor" do
    @describetag :capture_log

    test "the server is restarted with a fresh instance after it crashes", %{basic: module} do
      name = :"supervised_wasm_#{System.unique_integer([:positive])}"
      children = [{Instance, module: module, name: name}]
      {:ok, supervisor} = Supervisor.start_link(children, strategy: :one_for_one)

      assert Instance.call(name, "incr", []) == {:ok, [1]}
      assert Instance.call(name, "incr", []) == {:ok, [2]}
      old = Process.whereis(name)
      old_instance = Instance.instance(name)

      ref = Process.monitor(old)
      Process.exit(old, :kill)
      assert_receive {:DOWN, ^ref, :process, ^old, :killed}

      new = wait_for_restart(name, old)
      assert is_pid(new) and new != old
      assert [{^name, ^new, :worker, [Instance]}] = Supervisor.which_children(supervisor)
      # A fresh instance: its counter starts over.
      assert Instance.call(name, "incr", []) == {:ok, [1]}
      assert Instance.instance(name) != old_instance
      # The old instance lives on while something refers to it.
      assert Wasmbeam.get_global(old_instance, "counter") == {:ok, 2}

      Supervisor.stop(supervisor)
    end

    test "a server that dies in the middle of a call is restarted", %{host: module} do
      test = self()

      block = fn _, [] ->
        send(test, {:blocked, self()})

        receive do
          :never -> []
        end
      end

      children = [
        {Instance, module: module, imports: noop_imports(%{"block" => block}), id: :blocking}
      ]

      {:ok, supervisor} = Supervisor.start_link(children, strategy: :one_for_one)
      [{:blocking, server, :worker, _}] = Supervisor.which_children(supervisor)

      caller = Task.async(fn -> catch_exit(Instance.call(server, "blocking", [])) end)
      assert_receive {:blocked, ^server}, 5000
      Process.exit(server, :kill)
      assert {:killed, {GenServer, :call, _}} = Task.await(caller)

      assert [{:blocking, new, :worker, _}] = wait_for_child(supervisor, server)
      assert Instance.call(new, "double", [21]) == {:ok, [42]}

      Supervisor.stop(supervisor)
    end
  end

  defp wait_for_restart(name, old, attempts \\ 500) do
    case Process.whereis(name) do
      pid when is_pid(pid) and pid != old ->
        pid

      _ when attempts > 0 ->
        Process.sleep(10)
        wait_for_restart(name, old, attempts - 1)

      other ->
        other
    end
  end

  defp wait_for_child(supervisor, old, attempts \\ 500) do
    case Supervisor.which_children(supervisor) do
      [{_, pid, _, _}] = children when is_pid(pid) and pid != old ->
        children

      children when attempts > 0 ->
        _ = children
        Process.sleep(10)
        wait_for_child(supervisor, old, attempts - 1)

      children ->
        children
    end
  end
end
