defmodule Wasmbeam.ErrorTest do
  use ExUnit.Case, async: true

  defp message(reason), do: Exception.message(%Wasmbeam.Error{reason: reason})

  test "every trap is described with the engine's message" do
    codes = Wasmbeam.trap_codes()
    assert length(codes) == 14
    assert {:null_exception_reference, "null exception reference"} in codes
    assert {:out_of_fuel, "all fuel consumed"} in codes
    assert {:call_stack_exhausted, "call stack exhausted"} in codes

    # The `t:Wasmbeam.trap_code/0` type lists the same atoms.
    {:ok, types} = Code.Typespec.fetch_types(Wasmbeam)

    [union] =
      for {:type, {:trap_code, {:type, _, :union, atoms}, []}} <- types, do: atoms

    assert Enum.sort(for {:atom, _, atom} <- union, do: atom) == Enum.sort(Keyword.keys(codes))

    for {code, text} <- codes do
      assert message({:trap, code}) == "WebAssembly trap: " <> text
      assert message({:trap, code}) == :wasmbeam.format_error({:trap, code})
    end
  end

  test "a readable message for every reason" do
    assert message({:trap, :some_new_code}) == "WebAssembly trap: some_new_code"
    assert message(:busy) == "another process is in a call on the instance"
    assert message(:timeout) == "the call timed out"
    assert message({:invalid_module, "bad magic"}) == "invalid module: bad magic"
    assert message({:link_error, "unknown import"}) == "link error: unknown import"
    assert message({:limit, "too big"}) == "limit exceeded: too big"
    assert message({:bad_argument, "not an instance"}) == "bad argument: not an instance"
    assert message({:internal_error, "oops"}) =~ ~r/^internal error in wasmbeam .*: oops$/
    assert message(:something_else) == "wasmbeam error: something_else"

    assert message({:exception, %{tag: "e", payload: [1, 2.5]}}) ==
             ~s(uncaught WebAssembly exception: tag "e", payload [1,2.5])

    assert message({:exception, %{tag: make_ref(), payload: []}}) ==
             "uncaught WebAssembly exception: a tag the instance does not export, payload []"
  end

  test "host errors show the kind, the reason and the stacktrace" do
    stacktrace = [{SomeModule, :host_fun, 2, [file: ~c"lib/some.ex", line: 7]}]

    assert message({:host_error, :error, %ArgumentError{message: "nope"}, stacktrace}) =~
             ~r/^a host function failed: \*\* \(ArgumentError\) nope\n.*lib\/some.ex:7/s

    assert message({:host_error, :throw, :ball, []}) =~ "a host function failed: ** (throw) :ball"
    assert message({:host_error, :exit, :gone, []}) =~ "a host function failed: ** (exit) :gone"

    assert message({:host_error, :error, {:bad_results, "expected 1 results, got 0"}, []}) ==
             "a host function returned bad results: expected 1 results, got 0"
  end

  test "a fault injected in the library is an internal error, with a message that says so" do
    assert {:error, {:internal_error, _} = reason} = :wasmbeam_nif.fault(:nif)
    assert message(reason) =~ ~r/^internal error in wasmbeam \(please report it\): panic: a fault injected/
  end

  test "raise with a reason" do
    error = assert_raise Wasmbeam.Error, fn -> raise Wasmbeam.Error, reason: :busy end
    assert error.reason == :busy
  end
end
