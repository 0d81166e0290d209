defmodule Wasmbeam.SchedulingTest do
  # Not async: one test runs the VM with a single scheduler online.
  use ExUnit.Case, async: false

  import Bitwise
  import WasmbeamTest.Wat

  # Rounds of "wait_for_flag" that no test reaches: the loop ends when
  # another process sets the flag (or the call's timeout passes).
  @forever 1 <<< 62

  setup_all do
    %{basic: Wasmbeam.compile!(basic()), host: Wasmbeam.compile!(host())}
  end

  setup %{basic: module} do
    %{instance: Wasmbeam.instantiate!(module)}
  end

  # Calls `fun` every few milliseconds until it returns a truthy value
  # (returned), for at most `attempts` times.
  defp eventually(fun, attempts \\ 500) do
    case fun.() do
      result when result in [nil, false] and attempts > 1 ->
        Process.sleep(10)
        eventually(fun, attempts - 1)

      result ->
        result
    end
  end

  defp set_flag(instance), do: Wasmbeam.write_memory!(instance, 0, <<1, 0, 0, 0>>)

  describe "one process at a time" do
    test "a second process gets :busy while a call waits in a host fun", %{host: module} do
      test = self()

      block = fn _, [] ->
        send(test, {:blocked, self()})

        receive do
          :go -> []
        end
      end

      instance = Wasmbeam.instantiate!(module, noop_imports(%{"block" => block}))
      task = Task.async(fn -> Wasmbeam.call(instance, "blocking", []) end)
      assert_receive {:blocked, pid}, 5000

      assert Wasmbeam.call(instance, "double", [1]) == {:error, :busy}

      assert_raise Wasmbeam.Error, "another process is in a call on the instance", fn ->
        Wasmbeam.call!(instance, "double", [1])
      end

      send(pid, :go)
      assert Task.await(task) == {:ok, [42]}
      assert Wasmbeam.call(instance, "double", [1]) == {:ok, [2]}
    end

    test "a second process gets :busy while WebAssembly runs", %{instance: instance} do
      task =
        Task.async(fn -> Wasmbeam.call(instance, "wait_for_flag", [@forever], timeout: 30_000) end)

      assert eventually(fn -> Wasmbeam.call(instance, "add", [1, 2]) == {:error, :busy} end)
      # Memory and globals stay available to other processes meanwhile.
      assert Wasmbeam.get_global(instance, "counter") == {:ok, 0}
      set_flag(instance)

      assert {:ok, [rounds]} = Task.await(task, 30_000)
      assert rounds < @forever
      assert Wasmbeam.call(instance, "add", [1, 2]) == {:ok, [3]}
    end

    test "killing the caller abandons its call and frees the instance", %{instance: instance} do
      pid = spawn(fn -> Wasmbeam.call(instance, "spin", []) end)
      assert eventually(fn -> Wasmbeam.call(instance, "add", [1, 2]) == {:error, :busy} end)

      ref = Process.monitor(pid)
      Process.exit(pid, :kill)
      assert_receive {:DOWN, ^ref, :process, ^pid, :killed}

      assert eventually(fn -> Wasmbeam.call(instance, "add", [1, 2]) == {:ok, [3]} end)
    end
  end

  describe "limits" do
    test "a call's timeout stops an endless loop", %{instance: instance} do
      assert Wasmbeam.call(instance, "spin", [], timeout: 50) == {:error, :timeout}

      assert_raise Wasmbeam.Error, "the call timed out", fn ->
        Wasmbeam.call!(instance, "spin", [], timeout: 10)
      end

      # The instance is free and usable again.
      assert Wasmbeam.call(instance, "add", [1, 2], timeout: 1000) == {:ok, [3]}
      assert Wasmbeam.call(instance, "count", [1000], timeout: :infinity) == {:ok, [1000]}
    end

    test "a call's fuel limit stops an endless loop", %{instance: instance} do
      assert Wasmbeam.call(instance, "spin", [], fuel_limit: 100_000) ==
               {:error, {:trap, :out_of_fuel}}

      assert Wasmbeam.call(instance, "count", [1000], fuel_limit: 1_000_000) == {:ok, [1000]}

      assert_raise Wasmbeam.Error, "WebAssembly trap: all fuel consumed", fn ->
        Wasmbeam.call!(instance, "count", [1_000_000], fuel_limit: 1000)
      end
    end

    test "the instance's fuel limit applies to every call, unless a call overrides it", %{
      basic: module
    } do
      instance = Wasmbeam.instantiate!(module, %{}, fuel_limit: 100_000)
      assert Wasmbeam.call(instance, "spin", []) == {:error, {:trap, :out_of_fuel}}
      # Each call gets the whole limit again.
      assert Wasmbeam.call(instance, "count", [100]) == {:ok, [100]}
      assert Wasmbeam.call(instance, "count", [100]) == {:ok, [100]}
      assert Wasmbeam.call(instance, "count", [10_000_000]) == {:error, {:trap, :out_of_fuel}}

      assert Wasmbeam.call(instance, "count", [10_000_000], fuel_limit: :infinity) ==
               {:ok, [10_000_000]}
    end
  end

  describe "preemption" do
    setup do
      online = :erlang.system_info(:schedulers_online)
      on_exit(fn -> :erlang.system_flag(:schedulers_online, online) end)
      :ok
    end

    test "a long call gives its scheduler back, so other processes run meanwhile", %{
      instance: instance
    } do
      # On a single scheduler, the call can only end if the process that
      # sets the flag runs while the call is in progress.
      :erlang.system_flag(:schedulers_online, 1)
      test = self()
      ticks = :counters.new(1, [])
      reschedules = Wasmbeam.stats().reschedules

      ticker = spawn_link(fn -> tick(ticks) end)

      caller =
        spawn_link(fn ->
          send(test, {:started, :counters.get(ticks, 1)})
          result = Wasmbeam.call(instance, "wait_for_flag", [@forever], timeout: 30_000)
          send(test, {:result, result, :counters.get(ticks, 1)})
        end)

      assert_receive {:started, ticks_before}, 5000
      assert eventually(fn -> Wasmbeam.call(instance, "add", [1, 2]) == {:error, :busy} end)
      # The call is running: let it run a while before setting the flag.
      Process.sleep(100)
      set_flag(instance)

      assert_receive {:result, {:ok, [rounds]}, ticks_after}, 30_000
      assert rounds > 0 and rounds < @forever
      assert ticks_after > ticks_before
      assert Wasmbeam.stats().reschedules > reschedules

      Process.unlink(ticker)
      Process.exit(ticker, :kill)
      refute Process.alive?(caller)
    end

    test "many calls on one scheduler all make progress", %{basic: module} do
      :erlang.system_flag(:schedulers_online, 1)
      instances = for _ <- 1..4, do: Wasmbeam.instantiate!(module)
      test = self()

      for instance <- instances do
        spawn_link(fn ->
          send(
            test,
            {:done, instance,
             Wasmbeam.call(instance, "wait_for_flag", [@forever], timeout: 30_000)}
          )
        end)
      end

      for instance <- instances do
        assert eventually(fn -> Wasmbeam.call(instance, "add", [1, 2]) == {:error, :busy} end)
      end

      # Every call is in progress at the same time; end them one by one.
      for instance <- Enum.reverse(instances) do
        set_flag(instance)
        assert_receive {:done, ^instance, {:ok, [_]}}, 30_000
      end
    end
  end

  defp tick(ticks) do
    :counters.add(ticks, 1, 1)
    tick(ticks)
  end
end
