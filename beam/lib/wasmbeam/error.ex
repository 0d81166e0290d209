defmodule Wasmbeam.Error do
  @moduledoc """
  Raised by the `!` functions of `Wasmbeam` (and `Wasmbeam.Instance.call!/5`)
  when the function without `!` returns `{:error, reason}`.

  The `reason` field holds the reason term, described in
  `t:Wasmbeam.reason/0`.

      iex> try do
      ...>   Wasmbeam.compile!("(module")
      ...> rescue
      ...>   e in Wasmbeam.Error -> match?({:invalid_module, _}, e.reason)
      ...> end
      true
  """

  defexception [:reason]

  @type t :: %__MODULE__{reason: Wasmbeam.reason()}

  @impl true
  def message(%__MODULE__{reason: reason}), do: describe(reason)

  @trap_messages %{
    unreachable: "unreachable executed",
    out_of_bounds_memory_access: "out of bounds memory access",
    out_of_bounds_table_access: "out of bounds table access",
    uninitialized_element: "uninitialized table element",
    undefined_element: "undefined table element",
    indirect_call_type_mismatch: "indirect call type mismatch",
    integer_overflow: "integer overflow",
    integer_divide_by_zero: "integer divide by zero",
    invalid_conversion_to_integer: "invalid conversion to integer",
    call_stack_exhausted: "call stack exhausted (the stack limit)",
    out_of_fuel: "out of fuel (the fuel limit)"
  }

  defp describe({:trap, code}) do
    "WebAssembly trap: " <> Map.get(@trap_messages, code, inspect(code))
  end

  defp describe({:host_error, :error, {:bad_results, description}, _stacktrace})
       when is_binary(description) do
    "a host function returned bad results: " <> description
  end

  defp describe({:host_error, kind, reason, stacktrace})
       when kind in [:error, :exit, :throw] and is_list(stacktrace) do
    ("a host function failed: " <>
       Exception.format(kind, reason, stacktrace))
    |> String.trim_trailing()
  end

  defp describe(:busy), do: "another process is in a call on the instance"
  defp describe(:timeout), do: "the call timed out"
  defp describe({:invalid_module, message}), do: "invalid module: " <> to_text(message)
  defp describe({:link_error, message}), do: "link error: " <> to_text(message)
  defp describe({:limit, message}), do: "limit exceeded: " <> to_text(message)
  defp describe({:bad_argument, description}), do: "bad argument: " <> to_text(description)

  defp describe({:internal_error, message}),
    do: "internal error in wasmbeam (please report it): " <> to_text(message)

  defp describe(other), do: "wasmbeam error: " <> inspect(other)

  defp to_text(message) when is_binary(message), do: message
  defp to_text(other), do: inspect(other)
end
