defmodule Wasmbeam do
  @moduledoc """
  WebAssembly for the Erlang VM.

  Compile a module once with `compile/1`, instantiate it as often as needed
  with `instantiate/3`, and call its exported functions with `call/4` from
  any process:

      iex> {:ok, module} = Wasmbeam.compile(~S\"""
      ...> (module
      ...>   (func (export "add") (param i32 i32) (result i32)
      ...>     local.get 0
      ...>     local.get 1
      ...>     i32.add))
      ...> \""")
      iex> {:ok, instance} = Wasmbeam.instantiate(module)
      iex> Wasmbeam.call(instance, "add", [1, 2])
      {:ok, [3]}

  Calls run on the calling process's own scheduler in slices of about a
  millisecond: a long or endless call never blocks a scheduler, other
  processes keep running, and the caller can be killed at any time.
  Imports are Elixir functions, called synchronously in the calling process
  while the WebAssembly call waits.

  This module is a thin layer over the Erlang module `:wasmbeam`: modules and
  instances are wrapped in the structs `Wasmbeam.Module` and
  `Wasmbeam.Instance`, options are keyword lists, and every function has a
  `!` variant that raises `Wasmbeam.Error` instead of returning
  `{:error, reason}`. To keep an instance in a process of its own (under a
  supervisor, say), see `Wasmbeam.Instance`.

  ## Values

  `i32` and `i64` are integers (arguments may be given signed or unsigned;
  results are signed). `f32` and `f64` are floats, or the atoms `:infinity`,
  `:neg_infinity` and `:nan`, which Erlang floats cannot hold; arguments may
  be integers. A `v128` (SIMD) is a binary of 16 bytes in memory order: lane
  0 first, each lane little-endian (`<<a::32-little, b::32-little,
  c::32-little, d::32-little>>` for `i32x4`). References are `:null`,
  `{:externref, n}`, or `:funcref` for a
  non-null function reference returned from WebAssembly. A non-null `exnref`
  (a caught exception) is `{:exnref, ref}`, `ref` an opaque reference that
  may be given back to the same instance (as an argument, a host function's
  result or a global's value); each time an exception reaches Elixir it
  gets a new reference, so compare exceptions by what they carry, not by
  their references.

  ## Host functions

  An import is a function `fn caller, args -> results end`, where `caller` is
  the calling instance (a `Wasmbeam.Instance` struct: read and write its
  memory, call it again; the call in progress is suspended meanwhile),
  `args` the list of arguments and `results` the list of results, of the
  import's types. Imports are given as a map of module names to maps of
  field names to functions, all names strings:

      %{"env" => %{"log" => fn _caller, [x] -> IO.inspect(x); [] end}}

  The function runs in the process that made the call, and may do anything
  that process can: `receive`, `GenServer.call/2`, and so on. If it raises,
  throws or exits, the call is abandoned and returns
  `{:error, {:host_error, kind, reason, stacktrace}}`.

  Instead of results, a host function may return
  `{:exception, %{tag: tag, payload: payload}}` to throw a WebAssembly
  exception into the code that called it, where a `try_table` may catch it
  (uncaught, it ends the call with `{:error, {:exception, _}}`). `tag` is
  the export name (a string or atom) of a tag of the calling instance, or
  the `:tag` of an exception received earlier from a call of the same
  instance; `payload` is the list of values of the tag's parameter types.
  That is the reason of `{:error, {:exception, _}}` as it is, so a host
  function passes on what a nested call into its instance threw by
  returning it:

      fn caller, args ->
        case Wasmbeam.call(caller, "inner", args) do
          {:ok, results} -> results
          {:error, {:exception, _} = exception} -> exception
        end
      end

  An exception the instance cannot throw (an unknown tag, a payload not of
  the tag's types) is the host function's error, as bad results are.

  ## Errors

  Functions return `{:ok, value}` (or `:ok`) or `{:error, reason}`, never
  raise; see `t:reason/0` for the reasons. The `!` variants raise
  `Wasmbeam.Error`, whose `reason` field holds the same term.
  """

  alias Wasmbeam.Instance
  alias Wasmbeam.Module

  @typedoc """
  A WebAssembly value: an integer (`i32`, `i64`), a float or one of
  `:infinity`, `:neg_infinity`, `:nan` (`f32`, `f64`), a 16-byte binary
  (`v128`), or a reference.
  """
  @type value ::
          integer()
          | float()
          | :infinity
          | :neg_infinity
          | :nan
          | <<_::128>>
          | :null
          | :funcref
          | {:externref, non_neg_integer()}
          | {:exnref, reference()}

  @typedoc "The type of a WebAssembly value."
  @type value_type :: :i32 | :i64 | :f32 | :f64 | :v128 | :funcref | :externref | :exnref

  @typedoc """
  Limits of a memory (in 64 KiB pages) or a table (in elements); `index:
  :i64` only for one indexed by 64-bit numbers (memory64).
  """
  @type limits :: %{
          required(:min) => non_neg_integer(),
          required(:max) => non_neg_integer() | :infinity,
          optional(:index) => :i64
        }

  @typedoc "The type of an import or an export."
  @type extern_type ::
          {:function, params :: [value_type()], results :: [value_type()]}
          | {:memory, limits()}
          | {:table,
             %{
               required(:element) => value_type(),
               required(:min) => non_neg_integer(),
               required(:max) => non_neg_integer() | :infinity,
               optional(:index) => :i64
             }}
          | {:global, %{type: value_type(), mutable: boolean()}}
          | {:tag, params :: [value_type()]}

  @typedoc """
  An exception that no WebAssembly handler caught (the reason
  `{:exception, exception}`): its tag, by export name (a string) if the
  instance exports it, otherwise an opaque reference meaningful only to the
  same instance (a new one each time: not for comparing), and its payload
  values.
  """
  @type exception :: %{tag: String.t() | reference(), payload: [value()]}

  @typedoc """
  A host function: called with the calling instance and the arguments,
  returns the list of results, or `{:exception, %{tag: tag, payload:
  values}}` to throw a WebAssembly exception into its caller (see "Host
  functions" in the module documentation).
  """
  @type host_fun ::
          (caller :: Instance.t(), args :: [value()] ->
             results ::
               [value()]
               | {:exception, %{tag: String.t() | atom() | reference(), payload: [value()]}})

  @typedoc "Imports: module names to field names to host functions."
  @type imports :: %{optional(String.t()) => %{optional(String.t()) => host_fun()}}

  @typedoc "A name of an export: a string or an atom."
  @type name :: String.t() | atom()

  @typedoc """
  Options of `instantiate/3`:

    * `:memory_limit` - bytes; caps every memory of the instance (default
      1 GiB).
    * `:fuel_limit` - the fuel each call may use before it traps with
      `:out_of_fuel` (default `:infinity`).
    * `:stack_limit` - bytes of native stack, at most and by default 512 KiB;
      deeper recursion traps with `:call_stack_exhausted`.
    * `:wasi` - gives the instance WASI (`wasi_snapshot_preview1`), with the
      options of `t:wasi_option/0`; a reactor's `_initialize` runs once.
  """
  @type instance_option ::
          {:memory_limit, non_neg_integer()}
          | {:fuel_limit, pos_integer() | :infinity}
          | {:stack_limit, non_neg_integer()}
          | {:wasi, [wasi_option()] | map()}

  @typedoc """
  WASI options (of `run/2`, and of `instantiate/3`'s `:wasi` option):

    * `:args` - the whole `argv`, the program's name first (binaries).
    * `:env` - a map of names to values (binaries).
    * `:stdin` - a binary (then end of file), `:io` (lines read from the
      calling process's group leader when the program reads) or `:closed`
      (the default).
    * `:stdout`, `:stderr` - `:io` (the default: the group leader, as
      `IO.write/2`), `{:send, pid}` (messages
      `{:wasmbeam_stdout | :wasmbeam_stderr, instance, bytes}`), `:capture`
      or `:discard`.

  A program that sleeps or waits for input waits in a `receive` in the
  calling process: it holds no scheduler and can be killed.
  """
  @type wasi_option ::
          {:args, [binary()]}
          | {:env, %{optional(binary()) => binary()}}
          | {:stdin, binary() | :io | :closed}
          | {:stdout, :io | {:send, pid()} | :capture | :discard}
          | {:stderr, :io | {:send, pid()} | :capture | :discard}

  @typedoc """
  Options of `call/4`:

    * `:fuel_limit` - overrides the instance's fuel limit for this call.
    * `:timeout` - milliseconds, or `:infinity` (the default). Checked
      between slices of WebAssembly execution; a call waiting in a host
      function is not interrupted.
  """
  @type call_option :: {:fuel_limit, pos_integer() | :infinity} | {:timeout, timeout()}

  @typedoc "Why WebAssembly code trapped; `trap_codes/0` lists them with their messages."
  @type trap_code ::
          :unreachable
          | :out_of_bounds_memory_access
          | :out_of_bounds_table_access
          | :uninitialized_element
          | :undefined_element
          | :indirect_call_type_mismatch
          | :integer_overflow
          | :integer_divide_by_zero
          | :invalid_conversion_to_integer
          | :call_stack_exhausted
          | :out_of_fuel
          | :null_exception_reference
          | :null_function_reference
          | :null_reference

  @typedoc """
  Why a function failed (the same terms as the Erlang API's):

    * `{:trap, code}` - the WebAssembly code trapped; `:call_stack_exhausted`
      is the stack limit, `:out_of_fuel` the fuel limit,
      `:null_exception_reference` a `throw_ref` of a null `exnref`;
      `:null_function_reference` a `call_ref` or `return_call_ref` of a
      null reference, `:null_reference` a `ref.as_non_null` of one (see
      `t:trap_code/0`).
    * `{:exception, %{tag: tag, payload: values}}` - the WebAssembly code
      threw an exception that no handler caught (see `t:exception/0`). A
      host function may return it to throw it again (see "Host functions"
      in the module documentation).
    * `{:host_error, kind, reason, stacktrace}` - a host function raised
      (`:error`), exited (`:exit`) or threw (`:throw`), or returned values
      that are not of the import's result types or an exception the
      instance cannot throw
      (`{:host_error, :error, {:bad_results, description}, []}`).
    * `:busy` - another process is in a call on the instance.
    * `:timeout` - the call's `:timeout` passed.
    * `{:invalid_module, message}` - not valid WebAssembly or WAT, or a
      feature wasmbeam does not support.
    * `{:link_error, message}` - an import is missing, or is not a function.
    * `{:limit, message}` - a resource limit refused it (a memory larger than
      `:memory_limit`, a read of more than 1 GiB).
    * `{:bad_argument, description}` - an argument of the wrong type, count
      or range (something that is not a module or instance included), an
      unknown export, an access outside the memory.
    * `{:exit, status}` - a WASI program called `proc_exit` during a call of
      an export (`run/2` returns the status as its result instead).
    * `{:internal_error, message}` - a bug in wasmbeam, never a bad input;
      please report it.

  `format_error/1` describes a reason in words (the message of
  `Wasmbeam.Error`).
  """
  @type reason ::
          {:trap, trap_code()}
          | {:exception, exception()}
          | {:host_error, :error | :exit | :throw, term(), Exception.stacktrace()}
          | :busy
          | :timeout
          | {:invalid_module, String.t()}
          | {:link_error, String.t()}
          | {:limit, String.t()}
          | {:bad_argument, String.t()}
          | {:exit, integer()}
          | {:internal_error, String.t()}

  @typedoc "Counters returned by `stats/0`."
  @type stats :: %{
          modules: integer(),
          instances: integer(),
          calls: integer(),
          reschedules: non_neg_integer(),
          longest_slice_us: non_neg_integer(),
          longest_slice_cpu_us: non_neg_integer(),
          slices_by_cpu_us: [{pos_integer() | :infinity, non_neg_integer()}],
          internal_errors: non_neg_integer(),
          injected_faults: non_neg_integer()
        }

  ## Modules

  @doc """
  Validates and compiles a module given as WebAssembly bytes or as WAT text
  (a binary or iodata).

  Small modules compile at once; larger ones on a dirty CPU scheduler, so
  no normal scheduler is held for long. Modules with more than 1 MiB of
  code compile lazily: each function when it is first called, on a dirty
  CPU scheduler while the caller waits (and stays killable), once however
  many processes call it. `lazy: true` or `lazy: false` decides it for the
  module instead.

      iex> {:ok, %Wasmbeam.Module{}} = Wasmbeam.compile("(module)")
      iex> module = Wasmbeam.compile!(~S[(module (func (export "f") (result i32) i32.const 3))], lazy: true)
      iex> {:ok, instance} = Wasmbeam.instantiate(module)
      iex> Wasmbeam.call(instance, "f", [])
      {:ok, [3]}
      iex> {:error, {:invalid_module, _message}} = Wasmbeam.compile("(module")
      iex> {:ok, _empty} = Wasmbeam.compile(<<0, "asm", 1, 0, 0, 0>>)
  """
  @spec compile(iodata(), keyword()) :: {:ok, Module.t()} | {:error, reason()}
  def compile(source, options \\ []) do
    with {:ok, opts} <- compile_options(options),
         {:ok, ref} <- :wasmbeam.compile(source, opts),
         do: {:ok, %Module{ref: ref}}
  end

  @doc "Like `compile/2`, but returns the module or raises `Wasmbeam.Error`."
  @spec compile!(iodata(), keyword()) :: Module.t()
  def compile!(source, options \\ []), do: unwrap!(compile(source, options))

  defp compile_options(options) when is_list(options) do
    case Keyword.validate(options, [:lazy]) do
      {:ok, options} -> {:ok, Map.new(options)}
      {:error, unknown} -> {:error, {:bad_argument, "unknown options: #{inspect(unknown)}"}}
    end
  end

  defp compile_options(_), do: {:error, {:bad_argument, "the options must be a keyword list"}}

  @doc """
  The compiled module as a binary, for `deserialize/1` to load without
  compiling again (a cache, or another node running the same build of
  wasmbeam with the same settings on a CPU with the same features).

      iex> module = Wasmbeam.compile!(~S[(module (func (export "f") (result i32) i32.const 7))])
      iex> {:ok, bytes} = Wasmbeam.serialize(module)
      iex> {:ok, loaded} = Wasmbeam.deserialize(bytes)
      iex> {:ok, instance} = Wasmbeam.instantiate(loaded, %{})
      iex> Wasmbeam.call(instance, "f", [])
      {:ok, [7]}
  """
  @spec serialize(Module.t()) :: {:ok, binary()} | {:error, reason()}
  def serialize(module), do: :wasmbeam.serialize(ref(module))

  @doc "Like `serialize/1`, but returns the binary or raises `Wasmbeam.Error`."
  @spec serialize!(Module.t()) :: binary()
  def serialize!(module), do: unwrap!(serialize(module))

  @doc """
  Loads a module `serialize/1` wrote, without compiling it. Refused with
  `{:error, {:bad_argument, message}}` when the binary is not a serialized
  module, is damaged or truncated, or comes from another build, other
  settings or a CPU lacking a feature the code uses.

  The machine code inside runs as it is: the checks catch accidents, not
  tampering. Only load binaries from `serialize/1` or from storage you
  trust as you would a NIF library, never from users.

      iex> {:error, {:bad_argument, _}} = Wasmbeam.deserialize("not a module")
  """
  @spec deserialize(binary()) :: {:ok, Module.t()} | {:error, reason()}
  def deserialize(bytes) do
    with {:ok, ref} <- :wasmbeam.deserialize(bytes), do: {:ok, %Module{ref: ref}}
  end

  @doc "Like `deserialize/1`, but returns the module or raises `Wasmbeam.Error`."
  @spec deserialize!(binary()) :: Module.t()
  def deserialize!(bytes), do: unwrap!(deserialize(bytes))

  @doc """
  The module's exports, in order, as `{name, type}`.

      iex> module = Wasmbeam.compile!(~S[(module (memory (export "memory") 1) (func (export "f") (param i64) (result f32) f32.const 0))])
      iex> Wasmbeam.exports(module)
      {:ok, [{"memory", {:memory, %{min: 1, max: :infinity}}}, {"f", {:function, [:i64], [:f32]}}]}
  """
  @spec exports(Module.t()) :: {:ok, [{String.t(), extern_type()}]} | {:error, reason()}
  def exports(module), do: :wasmbeam.exports(ref(module))

  @doc "Like `exports/1`, but returns the list or raises `Wasmbeam.Error`."
  @spec exports!(Module.t()) :: [{String.t(), extern_type()}]
  def exports!(module), do: unwrap!(exports(module))

  @doc """
  The module's imports, in order, as `{module_name, name, type}`.

      iex> module = Wasmbeam.compile!(~S[(module (import "env" "log" (func (param i32))))])
      iex> Wasmbeam.imports(module)
      {:ok, [{"env", "log", {:function, [:i32], []}}]}
  """
  @spec imports(Module.t()) ::
          {:ok, [{String.t(), String.t(), extern_type()}]} | {:error, reason()}
  def imports(module), do: :wasmbeam.imports(ref(module))

  @doc "Like `imports/1`, but returns the list or raises `Wasmbeam.Error`."
  @spec imports!(Module.t()) :: [{String.t(), String.t(), extern_type()}]
  def imports!(module), do: unwrap!(imports(module))

  ## Instances

  @doc """
  Instantiates a module: a new instance with its own memory, tables and
  globals.

  `imports` gives a host function for every function the module imports
  (see "Host functions" in the module documentation). The start function,
  if any, runs in the calling process like a call. See
  `t:instance_option/0` for the options.

      iex> module = Wasmbeam.compile!(~S[(module (import "env" "twice" (func $twice (param i32) (result i32)))
      ...>   (func (export "quadruple") (param i32) (result i32) local.get 0 call $twice call $twice))])
      iex> {:ok, instance} = Wasmbeam.instantiate(module, %{"env" => %{"twice" => fn _caller, [x] -> [2 * x] end}})
      iex> Wasmbeam.call(instance, :quadruple, [5])
      {:ok, [20]}
      iex> {:error, {:link_error, _message}} = Wasmbeam.instantiate(module)
  """
  @spec instantiate(Module.t(), imports(), [instance_option()]) ::
          {:ok, Instance.t()} | {:error, reason()}
  def instantiate(module, imports \\ %{}, opts \\ []) do
    with {:ok, opts} <- options(opts),
         {:ok, opts} <- nested_wasi(opts),
         {:ok, ref} <- :wasmbeam.instantiate(ref(module), wrap_imports(imports), opts) do
      {:ok, %Instance{ref: ref}}
    end
  end

  @doc "Like `instantiate/3`, but returns the instance or raises `Wasmbeam.Error`."
  @spec instantiate!(Module.t(), imports(), [instance_option()]) :: Instance.t()
  def instantiate!(module, imports \\ %{}, opts \\ []),
    do: unwrap!(instantiate(module, imports, opts))

  # Host funs receive the calling instance as a struct.
  defp wrap_imports(imports) when is_map(imports) do
    Map.new(imports, fn
      {module_name, fields} when is_map(fields) ->
        {module_name, Map.new(fields, fn {name, fun} -> {name, wrap_host_fun(fun)} end)}

      other ->
        other
    end)
  end

  defp wrap_imports(imports), do: imports

  defp wrap_host_fun(fun) when is_function(fun, 2) do
    fn caller, args -> fun.(%Instance{ref: caller}, args) end
  end

  defp wrap_host_fun(other), do: other

  ## Calls

  @doc """
  Calls the exported function `name` with `args` and returns its results.

  The call runs in the calling process, in slices; host functions run in
  this process too. One process at a time may be in calls on an instance:
  a second gets `{:error, :busy}` (a host function may call back into its
  own instance). See `t:call_option/0` for the options.

      iex> instance = Wasmbeam.compile!(~S[(module (func (export "div") (param i32 i32) (result i32)
      ...>   local.get 0 local.get 1 i32.div_s))]) |> Wasmbeam.instantiate!()
      iex> Wasmbeam.call(instance, "div", [-7, 2])
      {:ok, [-3]}
      iex> Wasmbeam.call(instance, "div", [1, 0])
      {:error, {:trap, :integer_divide_by_zero}}
      iex> Wasmbeam.call(instance, "div", [1])
      {:error, {:bad_argument, "expected 2 arguments, got 1"}}
  """
  @spec call(Instance.t(), name(), [value()], [call_option()]) ::
          {:ok, [value()]} | {:error, reason()}
  def call(instance, name, args, opts \\ []) do
    with {:ok, opts} <- options(opts) do
      :wasmbeam.call(ref(instance), name, args, opts)
    end
  end

  @doc "Like `call/4`, but returns the results or raises `Wasmbeam.Error`."
  @spec call!(Instance.t(), name(), [value()], [call_option()]) :: [value()]
  def call!(instance, name, args, opts \\ []), do: unwrap!(call(instance, name, args, opts))

  ## WASI commands

  @doc """
  Runs a WASI command: instantiates `module` with WASI and runs its
  `_start` in the calling process, preempted like any call. Returns the
  exit status (0 when `_start` returns), with what stdout and stderr
  captured when either is `:capture`.

  Options: those of `t:wasi_option/0`, plus `:memory_limit`, `:fuel_limit`,
  `:stack_limit` (as `instantiate/3`) and `:timeout` (as `call/4`).
  """
  @spec run(Module.t(), [wasi_option() | instance_option() | call_option()] | map()) ::
          {:ok, integer()} | {:ok, integer(), %{stdout: binary(), stderr: binary()}} | {:error, reason()}
  def run(module, opts \\ []) do
    with {:ok, opts} <- options(opts) do
      :wasmbeam.run(ref(module), opts)
    end
  end

  @doc """
  Like `run/2`, but returns the exit status (or `{status, captured}` when
  output is captured) or raises `Wasmbeam.Error`.
  """
  @spec run!(Module.t(), [wasi_option() | instance_option() | call_option()] | map()) ::
          integer() | {integer(), %{stdout: binary(), stderr: binary()}}
  def run!(module, opts \\ []) do
    case run(module, opts) do
      {:ok, status} -> status
      {:ok, status, captured} -> {status, captured}
      {:error, reason} -> raise Wasmbeam.Error, reason: reason
    end
  end

  # The `:wasi` instance option as a map.
  defp nested_wasi(%{wasi: wasi} = opts) do
    with {:ok, wasi} <- options(wasi), do: {:ok, %{opts | wasi: wasi}}
  end

  defp nested_wasi(opts), do: {:ok, opts}

  ## Memory

  @typedoc """
  A memory of an instance: its index in the module's memory index space
  (imported memories first, exported or not), or its export name.
  """
  @type memory_ref :: non_neg_integer() | String.t() | atom()

  @typedoc """
  Which memory a memory function works on: `memory: memory_ref()`; without
  it, the instance's export `memory`, or its first exported memory.
  """
  @type memory_option :: {:memory, memory_ref()}

  @doc """
  Reads `length` bytes at `offset` of the instance's memory (its export
  `memory`, or its first exported memory, unless `opts` name another with
  `memory:`).

  Allowed from any process, also while a call is suspended.

      iex> instance = Wasmbeam.compile!(~S[(module (memory (export "memory") 1) (data (i32.const 8) "hello"))])
      ...> |> Wasmbeam.instantiate!()
      iex> Wasmbeam.read_memory(instance, 8, 5)
      {:ok, "hello"}

  With two memories, the second by index or by export name:

      iex> instance = Wasmbeam.compile!(~S[(module (memory 1) (memory (export "two") 1) (data (memory 1) (i32.const 0) "second"))])
      ...> |> Wasmbeam.instantiate!()
      iex> Wasmbeam.read_memory(instance, 0, 6, memory: 1)
      {:ok, "second"}
      iex> Wasmbeam.read_memory(instance, 0, 6, memory: "two")
      {:ok, "second"}
  """
  @spec read_memory(Instance.t(), non_neg_integer(), non_neg_integer(), [memory_option()]) ::
          {:ok, binary()} | {:error, reason()}
  def read_memory(instance, offset, length, opts \\ []),
    do: :wasmbeam.read_memory(ref(instance), offset, length, memory_options(opts))

  @doc "Like `read_memory/4`, but returns the bytes or raises `Wasmbeam.Error`."
  @spec read_memory!(Instance.t(), non_neg_integer(), non_neg_integer(), [memory_option()]) :: binary()
  def read_memory!(instance, offset, length, opts \\ []),
    do: unwrap!(read_memory(instance, offset, length, opts))

  @doc """
  Writes `bytes` at `offset` of the instance's memory (or of the one `opts`
  name with `memory:`).

  Allowed from any process, also while a call is suspended.
  """
  @spec write_memory(Instance.t(), non_neg_integer(), binary(), [memory_option()]) :: :ok | {:error, reason()}
  def write_memory(instance, offset, bytes, opts \\ []),
    do: :wasmbeam.write_memory(ref(instance), offset, bytes, memory_options(opts))

  @doc "Like `write_memory/4`, but raises `Wasmbeam.Error` on failure."
  @spec write_memory!(Instance.t(), non_neg_integer(), binary(), [memory_option()]) :: :ok
  def write_memory!(instance, offset, bytes, opts \\ []),
    do: unwrap!(write_memory(instance, offset, bytes, opts))

  @doc """
  The size of the instance's memory in bytes (or of the one `opts` name
  with `memory:`).

      iex> instance = Wasmbeam.compile!(~S[(module (memory (export "memory") 1 4))]) |> Wasmbeam.instantiate!()
      iex> Wasmbeam.memory_size(instance)
      {:ok, 65536}
      iex> Wasmbeam.grow_memory(instance, 2)
      {:ok, 1}
      iex> Wasmbeam.memory_size(instance)
      {:ok, 196608}
  """
  @spec memory_size(Instance.t(), [memory_option()]) :: {:ok, non_neg_integer()} | {:error, reason()}
  def memory_size(instance, opts \\ []), do: :wasmbeam.memory_size(ref(instance), memory_options(opts))

  @doc "Like `memory_size/2`, but returns the size or raises `Wasmbeam.Error`."
  @spec memory_size!(Instance.t(), [memory_option()]) :: non_neg_integer()
  def memory_size!(instance, opts \\ []), do: unwrap!(memory_size(instance, opts))

  @doc """
  Grows the instance's memory (or the one `opts` name with `memory:`) by
  `pages` pages of 64 KiB; returns the previous size in pages.

  Growing past the memory's maximum or the instance's `:memory_limit` is
  `{:error, {:limit, message}}`.
  """
  @spec grow_memory(Instance.t(), non_neg_integer(), [memory_option()]) ::
          {:ok, non_neg_integer()} | {:error, reason()}
  def grow_memory(instance, pages, opts \\ []),
    do: :wasmbeam.grow_memory(ref(instance), pages, memory_options(opts))

  @doc "Like `grow_memory/3`, but returns the previous size or raises `Wasmbeam.Error`."
  @spec grow_memory!(Instance.t(), non_neg_integer(), [memory_option()]) :: non_neg_integer()
  def grow_memory!(instance, pages, opts \\ []), do: unwrap!(grow_memory(instance, pages, opts))

  # The Erlang API's options map; anything else is passed on for it to refuse.
  defp memory_options(opts) when is_list(opts) do
    if Keyword.keyword?(opts), do: Map.new(opts), else: opts
  end

  defp memory_options(opts), do: opts

  ## Globals

  @doc """
  The value of the exported global `name`.

      iex> instance = Wasmbeam.compile!(~S[(module (global (export "g") (mut i64) (i64.const 7)))]) |> Wasmbeam.instantiate!()
      iex> Wasmbeam.get_global(instance, "g")
      {:ok, 7}
      iex> Wasmbeam.set_global(instance, "g", -1)
      :ok
      iex> Wasmbeam.get_global(instance, :g)
      {:ok, -1}
  """
  @spec get_global(Instance.t(), name()) :: {:ok, value()} | {:error, reason()}
  def get_global(instance, name), do: :wasmbeam.get_global(ref(instance), name)

  @doc "Like `get_global/2`, but returns the value or raises `Wasmbeam.Error`."
  @spec get_global!(Instance.t(), name()) :: value()
  def get_global!(instance, name), do: unwrap!(get_global(instance, name))

  @doc "Sets the exported mutable global `name`."
  @spec set_global(Instance.t(), name(), value()) :: :ok | {:error, reason()}
  def set_global(instance, name, value), do: :wasmbeam.set_global(ref(instance), name, value)

  @doc "Like `set_global/3`, but raises `Wasmbeam.Error` on failure."
  @spec set_global!(Instance.t(), name(), value()) :: :ok
  def set_global!(instance, name, value), do: unwrap!(set_global(instance, name, value))

  ## Errors

  @doc """
  Describes an error reason in words: the message `Wasmbeam.Error` carries,
  the same as the Erlang API's `:wasmbeam.format_error/1`.

      iex> Wasmbeam.format_error({:trap, :integer_divide_by_zero})
      "WebAssembly trap: integer divide by zero"
  """
  @spec format_error(reason() | term()) :: String.t()
  def format_error(reason), do: :wasmbeam.format_error(reason)

  @doc """
  Every trap code `{:trap, code}` can carry, with its message, from the
  engine's own table.

      iex> {:call_stack_exhausted, "call stack exhausted"} in Wasmbeam.trap_codes()
      true
  """
  @spec trap_codes() :: [{trap_code(), String.t()}]
  def trap_codes, do: :wasmbeam.trap_codes()

  ## Diagnostics

  @doc """
  Counters for diagnostics and tests: live `:modules`, `:instances` and
  suspended `:calls` (resources not yet freed), how many times calls gave
  their scheduler back (`:reschedules`), the longest time one slice ran
  WebAssembly (`:longest_slice_us`, and `:longest_slice_cpu_us` in CPU
  time), how many slices took how much CPU time (`:slices_by_cpu_us`,
  `{up_to_us, count}` pairs, each counting the slices shorter than
  `up_to_us` and not shorter than the previous bound, the last bound
  `:infinity`), and how many `{:internal_error, _}` reasons were returned
  (`:internal_errors`: 0 unless wasmbeam has a bug, or a test injected
  faults, `:injected_faults`). On a shared machine the longest slice is
  mostly the host's noise (a virtual CPU taken away still counts as CPU
  time); the distribution says whether slices are short as a rule.

  It cannot fail, so it has no `!` variant.
  """
  @spec stats() :: stats()
  def stats, do: :wasmbeam.stats()

  ## Helpers

  # The Erlang term of a struct; anything else goes to the Erlang API as it
  # is, which answers {:error, {:bad_argument, _}} for what it does not take.
  defp ref(%Module{ref: ref}), do: ref
  defp ref(%Instance{ref: ref}), do: ref
  defp ref(other), do: other

  # Keyword options (or a map) as the Erlang API's map; the first of
  # repeated keys wins, as with Keyword.get/2.
  defp options(opts) when is_map(opts), do: {:ok, opts}

  defp options(opts) when is_list(opts) do
    if Keyword.keyword?(opts) do
      {:ok, opts |> Enum.reverse() |> Map.new()}
    else
      {:error, {:bad_argument, "the options must be a keyword list"}}
    end
  end

  defp options(_opts), do: {:error, {:bad_argument, "the options must be a keyword list"}}

  defp unwrap!(:ok), do: :ok
  defp unwrap!({:ok, value}), do: value
  defp unwrap!({:error, reason}), do: raise(Wasmbeam.Error, reason: reason)
end
