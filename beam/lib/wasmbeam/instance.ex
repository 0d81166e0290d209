defmodule Wasmbeam.Instance do
  @moduledoc """
  An instance of a WebAssembly module, and a process that can own one.

  ## The struct

  `%Wasmbeam.Instance{}` is returned by `Wasmbeam.instantiate/3` and passed
  to host functions as their caller. Use it with `Wasmbeam.call/4`,
  `Wasmbeam.read_memory/3` and the other functions of `Wasmbeam`, from any
  process. `ref` is the instance of the Erlang API (`:wasmbeam`); the
  instance is freed when no term refers to it anymore.

  ## The server

  This module is also a `GenServer` that instantiates a module and owns the
  instance, so that it can live under a supervisor:

      children = [
        {Wasmbeam.Instance,
         name: MyApp.Wasm,
         module: File.read!("priv/app.wasm"),
         imports: %{"env" => %{"log" => &MyApp.log/2}},
         options: [fuel_limit: 10_000_000]}
      ]

      Supervisor.start_link(children, strategy: :one_for_one)

      {:ok, results} = Wasmbeam.Instance.call(MyApp.Wasm, "run", [42])

  Calls through `call/5` run inside the server process, one at a time, and
  so do the host functions they call and the module's start function. The
  server is blocked while a call runs; other processes may still read and
  write the instance's memory and globals through the struct returned by
  `instance/1` (calling it directly from another process is `{:error,
  :busy}` while the server is in a call). When the server exits, the
  instance goes with it: a restarted server has a fresh instance.
  """

  use GenServer

  @enforce_keys [:ref]
  defstruct [:ref]

  @type t :: %__MODULE__{ref: :wasmbeam.instance()}

  @typedoc """
  Options of `start_link/1`:

    * `:module` (required) - a `Wasmbeam.Module`, or WebAssembly bytes or WAT
      text to compile.
    * `:imports` - the host functions (`t:Wasmbeam.imports/0`), default `%{}`.
    * `:options` - the options of `Wasmbeam.instantiate/3`, default `[]`.
    * `:name`, `:timeout`, `:debug`, `:spawn_opt`, `:hibernate_after` - as
      for `GenServer.start_link/3`.
  """
  @type option ::
          {:module, Wasmbeam.Module.t() | iodata()}
          | {:imports, Wasmbeam.imports()}
          | {:options, [Wasmbeam.instance_option()]}
          | GenServer.option()

  @server_options [:name, :timeout, :debug, :spawn_opt, :hibernate_after]

  @doc """
  Starts a server that instantiates `opts[:module]` and owns the instance,
  linked to the calling process.

  If the module does not compile or instantiate, the server stops with the
  reason (`{:invalid_module, message}`, `{:link_error, message}`, ...) and
  this returns `{:error, reason}`.
  """
  @spec start_link([option()]) :: GenServer.on_start()
  def start_link(opts) when is_list(opts) do
    {server_opts, init_opts} = Keyword.split(opts, @server_options)
    GenServer.start_link(__MODULE__, init_opts, server_opts)
  end

  @doc "Like `start_link/1`, but without a link."
  @spec start([option()]) :: GenServer.on_start()
  def start(opts) when is_list(opts) do
    {server_opts, init_opts} = Keyword.split(opts, @server_options)
    GenServer.start(__MODULE__, init_opts, server_opts)
  end

  @doc """
  A child specification for a supervisor: `{Wasmbeam.Instance, opts}`.

  The child's id is `opts[:id]`, else `opts[:name]`, else
  `Wasmbeam.Instance`.
  """
  @spec child_spec([option() | {:id, term()}]) :: Supervisor.child_spec()
  def child_spec(opts) when is_list(opts) do
    {id, opts} = Keyword.pop(opts, :id, Keyword.get(opts, :name, __MODULE__))
    %{id: id, start: {__MODULE__, :start_link, [opts]}, type: :worker}
  end

  @doc """
  Calls the exported function `name` of the server's instance with `args`,
  in the server process; see `Wasmbeam.call/4` for `opts` and the results.

  `timeout` is how long to wait for the server's reply, as for
  `GenServer.call/3` (it exits the caller when it passes; the call in the
  server goes on). To bound the WebAssembly call itself, use the
  `:timeout` option in `opts`.
  """
  @spec call(
          GenServer.server(),
          Wasmbeam.name(),
          [Wasmbeam.value()],
          [Wasmbeam.call_option()],
          timeout()
        ) ::
          {:ok, [Wasmbeam.value()]} | {:error, Wasmbeam.reason()}
  def call(server, name, args, opts \\ [], timeout \\ :infinity) do
    GenServer.call(server, {:call, name, args, opts}, timeout)
  end

  @doc "Like `call/5`, but returns the results or raises `Wasmbeam.Error`."
  @spec call!(
          GenServer.server(),
          Wasmbeam.name(),
          [Wasmbeam.value()],
          [Wasmbeam.call_option()],
          timeout()
        ) ::
          [Wasmbeam.value()]
  def call!(server, name, args, opts \\ [], timeout \\ :infinity) do
    case call(server, name, args, opts, timeout) do
      {:ok, results} -> results
      {:error, reason} -> raise Wasmbeam.Error, reason: reason
    end
  end

  @doc """
  The instance the server owns, to read or write its memory and globals
  from any process.
  """
  @spec instance(GenServer.server(), timeout()) :: t()
  def instance(server, timeout \\ 5000), do: GenServer.call(server, :instance, timeout)

  @impl GenServer
  def init(opts) do
    imports = Keyword.get(opts, :imports, %{})
    options = Keyword.get(opts, :options, [])

    with {:ok, module} <- fetch_module(opts),
         {:ok, instance} <- Wasmbeam.instantiate(module, imports, options) do
      {:ok, instance}
    else
      {:error, reason} -> {:stop, reason}
    end
  end

  defp fetch_module(opts) do
    case Keyword.fetch(opts, :module) do
      {:ok, %Wasmbeam.Module{} = module} -> {:ok, module}
      {:ok, source} -> Wasmbeam.compile(source)
      :error -> {:error, {:bad_argument, "the :module option is required"}}
    end
  end

  @impl GenServer
  def handle_call({:call, name, args, opts}, _from, instance) do
    {:reply, Wasmbeam.call(instance, name, args, opts), instance}
  end

  def handle_call(:instance, _from, instance) do
    {:reply, instance, instance}
  end

  defimpl Inspect do
    import Inspect.Algebra

    # #Wasmbeam.Instance<#Reference<0.1.2.3>>
    def inspect(%{ref: ref}, opts) do
      concat(["#Wasmbeam.Instance<", to_doc(ref, opts), ">"])
    end
  end
end
