defmodule Wasmbeam.Module do
  @moduledoc """
  A compiled WebAssembly module, returned by `Wasmbeam.compile/1`.

  Immutable: it can be instantiated any number of times, shared between
  processes, and kept in ETS or `:persistent_term`. `ref` is the module of
  the Erlang API (`:wasmbeam`); the module's code is freed when no term and
  no instance refer to it anymore.
  """

  @enforce_keys [:ref]
  defstruct [:ref]

  @type t :: %__MODULE__{ref: :wasmbeam.wasm_module()}

  defimpl Inspect do
    import Inspect.Algebra

    # #Wasmbeam.Module<exports: ["add", "memory"]>
    def inspect(%{ref: ref} = module, opts) do
      case Wasmbeam.exports(module) do
        {:ok, exports} ->
          names = Enum.map(exports, &elem(&1, 0))
          concat(["#Wasmbeam.Module<exports: ", to_doc(names, opts), ">"])

        {:error, _} ->
          concat(["#Wasmbeam.Module<", to_doc(ref, opts), ">"])
      end
    end
  end
end
