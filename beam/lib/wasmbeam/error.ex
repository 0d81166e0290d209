defmodule Wasmbeam.Error do
  @moduledoc """
  Raised by the `!` functions of `Wasmbeam` (and `Wasmbeam.Instance.call!/5`)
  when the function without `!` returns `{:error, reason}`.

  The `reason` field holds the reason term, described in
  `t:Wasmbeam.reason/0`. The message is `:wasmbeam.format_error/1`'s, so
  Erlang and Elixir describe every error in the same words (trap messages
  come from the engine's own table, `Wasmbeam.trap_codes/0`), except that
  what a host function raised is formatted the Elixir way.

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
  def message(%__MODULE__{reason: {:host_error, kind, reason, stacktrace}})
      when kind in [:error, :exit, :throw] and is_list(stacktrace) and
             not (kind == :error and is_tuple(reason) and tuple_size(reason) == 2 and
                    elem(reason, 0) == :bad_results) do
    # Elixir's own formatting of what an Elixir host function raised.
    ("a host function failed: " <> Exception.format(kind, reason, stacktrace))
    |> String.trim_trailing()
  end

  def message(%__MODULE__{reason: reason}), do: :wasmbeam.format_error(reason)
end
