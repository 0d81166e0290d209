defmodule Wasmbeam.ExceptionTest do
  use ExUnit.Case, async: true

  # Tags $e (exported, i32) and $hidden (not exported); `via_host` catches
  # either around a call of the host function.
  @wat ~S"""
  (module
    (import "env" "host" (func $host (param i32) (result i32)))
    (tag $e (export "e") (param i32))
    (tag $hidden (param i32))
    (func $throw (export "throw") (param i32) (result i32) (throw $e (local.get 0)))
    (func (export "throw_hidden") (param i32) (throw $hidden (local.get 0)))
    (func (export "caught") (param i32) (result i32)
      (block $h (result i32)
        (try_table (result i32) (catch $e $h) (call $throw (local.get 0)))
        (return))
      (i32.add (i32.const 1000)))
    (func (export "via_host") (param i32) (result i32)
      (block $hidden_h (result i32)
        (block $e_h (result i32)
          (try_table (result i32) (catch $e $e_h) (catch $hidden $hidden_h)
            (call $host (local.get 0)))
          (return))
        (return (i32.add (i32.const 2000))))
      (i32.add (i32.const 3000)))
    (func (export "catch_ref") (param i32) (result exnref)
      (block $h (result exnref)
        (try_table (catch_all_ref $h) (drop (call $throw (local.get 0))))
        (return (ref.null exn))))
    (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))
  """

  setup_all do
    %{module: Wasmbeam.compile!(@wat)}
  end

  defp instantiate!(module, host \\ fn _, [x] -> [x] end),
    do: Wasmbeam.instantiate!(module, %{"env" => %{"host" => host}})

  test "exports/1 lists tags with their payload types", %{module: module} do
    assert {"e", {:tag, [:i32]}} in Wasmbeam.exports!(module)
    assert {"catch_ref", {:function, [:i32], [:exnref]}} in Wasmbeam.exports!(module)
  end

  test "an uncaught exception is {:exception, %{tag: name, payload: values}}", %{module: module} do
    instance = instantiate!(module)

    assert Wasmbeam.call(instance, "throw", [42]) ==
             {:error, {:exception, %{tag: "e", payload: [42]}}}

    # A tag the instance does not export is an opaque reference.
    assert {:error, {:exception, %{tag: tag, payload: [3]}}} =
             Wasmbeam.call(instance, "throw_hidden", [3])

    assert is_reference(tag)

    error = assert_raise Wasmbeam.Error, fn -> Wasmbeam.call!(instance, "throw", [42]) end
    assert error.reason == {:exception, %{tag: "e", payload: [42]}}
    assert Exception.message(error) == ~s(uncaught WebAssembly exception: tag "e", payload [42])
  end

  test "an exception caught inside WebAssembly returns normally", %{module: module} do
    assert Wasmbeam.call(instantiate!(module), "caught", [5]) == {:ok, [1005]}
  end

  test "a host function throws by tag name into its caller's try_table", %{module: module} do
    host = fn
      _, [1] -> {:exception, %{tag: "e", payload: [11]}}
      _, [2] -> {:exception, %{tag: :e, payload: [12]}}
      _, [x] -> [x]
    end

    instance = instantiate!(module, host)
    assert Wasmbeam.call(instance, "via_host", [1]) == {:ok, [2011]}
    assert Wasmbeam.call(instance, "via_host", [2]) == {:ok, [2012]}
    assert Wasmbeam.call(instance, "via_host", [3]) == {:ok, [3]}
  end

  test "a host function passes on what a nested call threw", %{module: module} do
    host = fn caller, [x] ->
      export = if rem(x, 2) == 0, do: "throw", else: "throw_hidden"

      case Wasmbeam.call(caller, export, [x]) do
        {:ok, results} -> results
        {:error, {:exception, _} = exception} -> exception
      end
    end

    instance = instantiate!(module, host)
    assert Wasmbeam.call(instance, "via_host", [4]) == {:ok, [2004]}
    assert Wasmbeam.call(instance, "via_host", [5]) == {:ok, [3005]}
  end

  test "an exception the instance cannot throw is the host function's error", %{module: module} do
    for answer <- [
          {:exception, %{tag: "nope", payload: []}},
          {:exception, %{tag: "e", payload: [1.5]}},
          {:exception, %{payload: [1]}}
        ] do
      instance = instantiate!(module, fn _, _ -> answer end)

      assert {:error, {:host_error, :error, {:bad_results, description}, []}} =
               Wasmbeam.call(instance, "via_host", [1]),
             "answer: #{inspect(answer)}"

      assert is_binary(description)
    end
  end

  test "exnref values go back to their instance", %{module: module} do
    instance = instantiate!(module)
    assert {:ok, [{:exnref, ref} = exn]} = Wasmbeam.call(instance, "catch_ref", [8])
    assert is_reference(ref)

    assert Wasmbeam.call(instance, "rethrow", [exn]) ==
             {:error, {:exception, %{tag: "e", payload: [8]}}}

    assert Wasmbeam.call(instance, "rethrow", [:null]) ==
             {:error, {:trap, :null_exception_reference}}

    assert {:error, {:bad_argument, _}} = Wasmbeam.call(instantiate!(module), "rethrow", [exn])
  end
end
