%% @doc WebAssembly for the Erlang VM.
%%
%% Compile a module once, instantiate it as often as needed, and call its
%% exported functions from any process. Calls run on the calling process's
%% own scheduler in slices of about a millisecond: a long or endless call
%% never blocks a scheduler, other processes keep running, and the caller
%% can be killed at any time. Imports are Erlang funs, called synchronously
%% in the calling process while the WebAssembly call waits as data.
%%
%% == Values ==
%% `i32' and `i64' are integers (arguments may be given signed or
%% unsigned; results are signed). `f32' and `f64' are floats, or the atoms
%% `infinity', `neg_infinity' and `nan', which Erlang floats cannot hold;
%% arguments may be integers. A `v128' (SIMD) is a binary of 16 bytes in
%% memory order: lane 0 first, each lane little-endian (`<<A:32/little,
%% B:32/little, C:32/little, D:32/little>>' for `i32x4'). References are
%% `null', `{externref, N}', or
%% `funcref' for a non-null function reference returned to Erlang. A
%% non-null `exnref' (a caught exception) is `{exnref, Ref}', `Ref' an
%% opaque reference that may be given back to the same instance (as an
%% argument, a host fun's result or a global's value); each time an
%% exception reaches Erlang it gets a new reference, so compare exceptions
%% by what they carry, not by their references.
%%
%% == Host funs ==
%% An import is `fun(Caller, Args) -> Results', where `Caller' is the
%% calling instance (read and write its memory, call it again: the call
%% in progress is suspended meanwhile), `Args' the list of arguments and
%% `Results' the list of results, of the import's types. The fun runs in
%% the process that made the call, and may do anything that process can:
%% `receive', `gen_server:call/2', and so on. If it raises, the call is
%% abandoned and returns `{error, {host_error, Class, Reason, Stacktrace}}'.
%%
%% Instead of results, a host fun may return `{exception, #{tag => Tag,
%% payload => Payload}}' to throw a WebAssembly exception into the code
%% that called it, where a `try_table' may catch it (uncaught, it ends the
%% call with `{error, {exception, _}}'). `Tag' is the export name (a
%% binary or atom) of a tag of the calling instance, or the `tag' of an
%% exception received earlier from a call of the same instance; `Payload'
%% is the list of values of the tag's parameter types. That is the reason
%% of `{error, {exception, _}}' as it is, so a host fun passes on what a
%% nested call into its instance threw by returning it:
%% ```
%% fun(Caller, Args) ->
%%     case wasmbeam:call(Caller, <<"inner">>, Args) of
%%         {ok, Results} -> Results;
%%         {error, {exception, _} = Exception} -> Exception
%%     end
%% end
%% '''
%% An exception the instance cannot throw (an unknown tag, a payload not
%% of the tag's types) is the host fun's error, as bad results are.
%%
%% == Errors ==
%% Every function returns `{error, Reason}' rather than raising, whatever
%% its arguments; `format_error/1' describes a reason in words:
%% <ul>
%% <li>`{trap, Code}': the WebAssembly code trapped, with `Code' one of
%%   `unreachable', `out_of_bounds_memory_access',
%%   `out_of_bounds_table_access', `uninitialized_element',
%%   `undefined_element', `indirect_call_type_mismatch',
%%   `integer_overflow', `integer_divide_by_zero',
%%   `invalid_conversion_to_integer', `call_stack_exhausted' (the stack
%%   limit), `out_of_fuel' (the fuel limit), `null_exception_reference'
%%   (`throw_ref' of a null `exnref'), `null_function_reference' (`call_ref'
%%   or `return_call_ref' of a null reference) and `null_reference'
%%   (`ref.as_non_null' of one). `trap_codes/0' lists them with their
%%   messages.</li>
%% <li>`{exception, #{tag => Tag, payload => Payload}}': the WebAssembly
%%   code threw an exception that no handler caught. `Tag' is the tag's
%%   export name (a binary) when the instance exports it, otherwise an
%%   opaque reference (meaningful only to the same instance, and a new one
%%   each time: not for comparing); `Payload' is
%%   the list of the exception's values. A host fun may return it to throw
%%   it again (see Host funs).</li>
%% <li>`{host_error, Class, Reason, Stacktrace}': a host fun raised, or
%%   returned values that are not of the import's result types or an
%%   exception the instance cannot throw (`error', `{bad_results,
%%   Description}').</li>
%% <li>`busy': another process is in a call on the instance.</li>
%% <li>`timeout': the call's `timeout' passed.</li>
%% <li>`{invalid_module, Message}': not valid WebAssembly or WAT, or a
%%   feature wasmbeam does not support.</li>
%% <li>`{link_error, Message}': an import is missing from `Imports', or
%%   is not a function.</li>
%% <li>`{limit, Message}': a resource limit refused it (a memory larger
%%   than `memory_limit', a read of more than 1 GiB).</li>
%% <li>`{bad_argument, Description}': an argument of the wrong type,
%%   count or range (a term that is not a module or instance included), an
%%   unknown export, an access outside the memory.</li>
%% <li>`{exit, Status}': a WASI program called `proc_exit' during a call
%%   of an export (`run/2' returns the status as its result
%%   instead).</li>
%% <li>`{internal_error, Message}': a bug in wasmbeam, never a bad input;
%%   please report it. The instance involved may be unusable afterwards;
%%   nothing else is affected.</li>
%% </ul>
-module(wasmbeam).

-export([compile/1, compile/2, exports/1, imports/1, serialize/1, deserialize/1,
         instantiate/2, instantiate/3,
         call/3, call/4,
         run/2,
         read_memory/3, read_memory/4, write_memory/3, write_memory/4,
         memory_size/1, memory_size/2, grow_memory/2, grow_memory/3,
         get_global/2, set_global/3,
         format_error/1, trap_codes/0,
         stats/0]).

-export_type([wasm_module/0, instance/0, value/0, value_type/0, extern_type/0,
              host_fun/0, imports/0, instance_options/0, call_options/0, error_reason/0,
              trap_code/0, exception/0, wasi_options/0, wasi_output/0, run_options/0,
              memory_options/0, memory_ref/0]).

-opaque wasm_module() :: reference().
-opaque instance() :: reference().
-type value() :: integer() | float() | infinity | neg_infinity | nan | <<_:128>>
               | null | funcref | {externref, non_neg_integer()} | {exnref, reference()}.
-type value_type() :: i32 | i64 | f32 | f64 | v128 | funcref | externref | exnref.
%% `index => i64' is there for a memory or table indexed by 64-bit numbers
%% (memory64), and absent for 32-bit ones.
-type limits() :: #{min := non_neg_integer(), max := non_neg_integer() | infinity, index => i64}.
-type extern_type() :: {function, [value_type()], [value_type()]}
                     | {memory, limits()}
                     | {table, #{element := value_type(), min := non_neg_integer(),
                                 max := non_neg_integer() | infinity, index => i64}}
                     | {global, #{type := value_type(), mutable := boolean()}}
                     | {tag, Params :: [value_type()]}.
%% An exception that no WebAssembly handler caught (`{error, {exception,
%% Exception}}'): its tag, by export name if the instance exports it, and
%% its payload. A host fun throws one by returning `{exception, Exception}'
%% (where the tag may also be an atom).
-type exception() :: #{tag := binary() | reference(), payload := [value()]}.
-type host_fun() :: fun((Caller :: instance(), Args :: [value()]) ->
                           Results :: [value()]
                         | {exception, #{tag := binary() | atom() | reference(), payload := [value()]}}).
-type imports() :: #{binary() => #{binary() => host_fun()}}.
-type instance_options() :: #{memory_limit => non_neg_integer(),
                              fuel_limit => pos_integer() | infinity,
                              stack_limit => non_neg_integer(),
                              wasi => wasi_options()}.
-type wasi_output() :: io | {send, pid()} | capture | discard.
-type preopen() :: {HostDir :: file:filename_all(), GuestDir :: binary() | string()}
                 | {HostDir :: file:filename_all(), GuestDir :: binary() | string(), read_only}.
-type wasi_options() :: #{args => [binary()],
                          env => #{binary() => binary()},
                          preopens => [preopen()],
                          files => #{binary() => binary()},
                          stdin => binary() | io | closed,
                          stdout => wasi_output(),
                          stderr => wasi_output()}.
-type run_options() :: #{args => [binary()],
                         env => #{binary() => binary()},
                         preopens => [preopen()],
                         files => #{binary() => binary()},
                         stdin => binary() | io | closed,
                         stdout => wasi_output(),
                         stderr => wasi_output(),
                         memory_limit => non_neg_integer(),
                         fuel_limit => pos_integer() | infinity,
                         stack_limit => non_neg_integer(),
                         timeout => non_neg_integer() | infinity}.
-type call_options() :: #{fuel_limit => pos_integer() | infinity,
                          timeout => non_neg_integer() | infinity}.
-type memory_ref() :: non_neg_integer() | binary() | atom().
%% A memory of an instance: its index in the module's memory index space
%% (imported memories first, exported or not), or its export name.
-type memory_options() :: #{memory => memory_ref()}.
-type trap_code() :: unreachable | out_of_bounds_memory_access | out_of_bounds_table_access
                   | uninitialized_element | undefined_element | indirect_call_type_mismatch
                   | integer_overflow | integer_divide_by_zero | invalid_conversion_to_integer
                   | call_stack_exhausted | out_of_fuel
                   | null_exception_reference | null_function_reference | null_reference.
-type error_reason() :: {trap, trap_code()}
                      | {exception, exception()}
                      | {host_error, error | exit | throw, term(), list()}
                      | busy
                      | timeout
                      | {invalid_module, binary()}
                      | {link_error, binary()}
                      | {limit, binary()}
                      | {bad_argument, binary()}
                      | {exit, integer()}
                      | {internal_error, binary()}.

%% @equiv compile(Source, #{})
-spec compile(Source :: binary() | iodata()) -> {ok, wasm_module()} | {error, error_reason()}.
compile(Source) ->
    compile(Source, #{}).

%% @doc Validates and compiles a module given as WebAssembly bytes or as
%% WAT text. Small modules compile at once; larger ones on a dirty CPU
%% scheduler, so no normal scheduler is held for long.
%%
%% Modules with more than 1 MiB of code are compiled lazily: `compile'
%% only validates them, and each function is compiled when it is first
%% called, on a dirty CPU scheduler while the calling process waits (it
%% stays killable, and its scheduler is free). Each function of a module
%% is compiled once, however many processes call it. The option
%% `lazy => true | false' decides it for this module instead.
-spec compile(Source :: binary() | iodata(), #{lazy => boolean()}) -> {ok, wasm_module()} | {error, error_reason()}.
compile(Source, Options) when is_binary(Source), is_map(Options) ->
    case maps:get(lazy, Options, auto) of
        Lazy when is_boolean(Lazy); Lazy =:= auto ->
            wasmbeam_nif:compile(Source, Lazy);
        _ ->
            bad_argument(<<"the lazy option must be true or false">>)
    end;
compile(Source, Options) when is_map(Options) ->
    try iolist_to_binary(Source) of
        Binary -> compile(Binary, Options)
    catch
        error:badarg -> bad_argument(<<"the module must be a binary or iodata">>)
    end;
compile(_Source, _Options) ->
    bad_argument(<<"the options must be a map">>).

%% @doc The compiled module as a binary, for `deserialize/1' to load
%% without compiling again: in this node later (a cache on disk), or in
%% another node running the same build of wasmbeam with the same settings
%% on a CPU with the same features. Large modules serialize on a dirty CPU
%% scheduler.
-spec serialize(wasm_module()) -> {ok, binary()} | {error, error_reason()}.
serialize(Module) ->
    wasmbeam_nif:module_serialize(Module).

%% @doc Loads a module `serialize/1' wrote, without compiling it, on a dirty
%% CPU scheduler. Refused with `{error, {bad_argument, Message}}' when the
%% binary is not a serialized module, is damaged or truncated (a checksum
%% covers it), or comes from another build of wasmbeam, other settings or
%% a CPU lacking a feature the code uses; the WebAssembly inside is
%% validated again.
%%
%% The machine code inside runs as it is: the checks catch accidents, not
%% tampering. Only load binaries from `serialize/1' or from storage you
%% trust as you would a NIF library, never from users.
-spec deserialize(binary()) -> {ok, wasm_module()} | {error, error_reason()}.
deserialize(Bytes) when is_binary(Bytes) ->
    wasmbeam_nif:module_deserialize(Bytes);
deserialize(_Bytes) ->
    bad_argument(<<"a serialized module must be a binary">>).

%% @doc The module's exports, in order, with their types.
-spec exports(wasm_module()) -> {ok, [{binary(), extern_type()}]} | {error, error_reason()}.
exports(Module) ->
    wasmbeam_nif:module_exports(Module).

%% @doc The module's imports, in order, with their types.
-spec imports(wasm_module()) -> {ok, [{binary(), binary(), extern_type()}]} | {error, error_reason()}.
imports(Module) ->
    wasmbeam_nif:module_imports(Module).

%% @equiv instantiate(Module, Imports, #{})
-spec instantiate(wasm_module(), imports()) -> {ok, instance()} | {error, error_reason()}.
instantiate(Module, Imports) ->
    instantiate(Module, Imports, #{}).

%% @doc Instantiates a module: a new instance with its own memory, tables
%% and globals. `Imports' gives a fun for every function the module
%% imports (`#{<<"env">> => #{<<"log">> => fun(Caller, [X]) -> [] end}}').
%% The start function, if any, runs in the calling process like a call.
%%
%% Options: `memory_limit' (bytes; default 1 GiB) caps every memory of the
%% instance; `fuel_limit' (default `infinity') is the fuel each call may
%% use before it traps with `out_of_fuel'; `stack_limit' (bytes of native
%% stack, at most and by default 512 KiB) bounds recursion, which traps
%% with `call_stack_exhausted'.
-spec instantiate(wasm_module(), imports(), instance_options()) -> {ok, instance()} | {error, error_reason()}.
instantiate(Module, Imports, Options) when is_map(Imports), is_map(Options) ->
    case check_imports(Imports) of
        ok ->
            case wasmbeam_nif:instantiate(Module, Imports, Options) of
                {ok, Instance} ->
                    case drive(wasmbeam_nif:run_start(Instance), Instance) of
                        {ok, _} -> initialize(Module, Instance, Options);
                        {error, _} = Error -> Error
                    end;
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end;
instantiate(_Module, _Imports, _Options) ->
    bad_argument(<<"the imports and the options must be maps">>).

%% A WASI reactor (a module that exports `_initialize') is initialized
%% once, right after instantiation.
initialize(Module, Instance, #{wasi := _}) ->
    {ok, Exports} = exports(Module),
    case lists:keyfind(<<"_initialize">>, 1, Exports) of
        {_, {function, [], []}} ->
            case call(Instance, <<"_initialize">>, []) of
                {ok, _} -> {ok, Instance};
                {error, _} = Error -> Error
            end;
        _ ->
            {ok, Instance}
    end;
initialize(_Module, Instance, _Options) ->
    {ok, Instance}.

check_imports(Imports) ->
    maps:fold(fun(ModuleName, Fields, ok) when is_binary(ModuleName), is_map(Fields) ->
                      maps:fold(fun(Name, Fun, ok) when is_binary(Name), is_function(Fun, 2) -> ok;
                                   (Name, _, ok) -> bad_import(ModuleName, Name);
                                   (_, _, Error) -> Error
                                end, ok, Fields);
                 (_, _, {error, _} = Error) ->
                      Error;
                 (ModuleName, _, ok) ->
                      bad_argument(iolist_to_binary(io_lib:format(
                          "imports must map module names (binaries) to maps of field names to funs, "
                          "got the key ~0p", [ModuleName])))
              end, ok, Imports).

bad_import(ModuleName, Name) ->
    bad_argument(iolist_to_binary(io_lib:format(
        "the import ~0p ~0p must be a fun of arity 2 under a binary name", [ModuleName, Name]))).

%% @equiv call(Instance, Name, Args, #{})
-spec call(instance(), binary() | atom(), [value()]) -> {ok, [value()]} | {error, error_reason()}.
call(Instance, Name, Args) ->
    call(Instance, Name, Args, #{}).

%% @doc Calls the exported function `Name' with `Args' and returns its
%% results. The call runs in the calling process, in slices; host funs run
%% in this process too. One process at a time may be in calls on an
%% instance: a second gets `{error, busy}' (a host fun may call back into
%% its own instance).
%%
%% Options: `fuel_limit' (overrides the instance's) and `timeout' in
%% milliseconds (checked between slices of WebAssembly execution and when
%% a host fun returns; a host fun itself is not interrupted).
-spec call(instance(), binary() | atom(), [value()], call_options()) ->
          {ok, [value()]} | {error, error_reason()}.
call(Instance, Name, Args, Options) when is_list(Args), is_map(Options) ->
    drive(wasmbeam_nif:call(Instance, Name, Args, Options), Instance);
call(_Instance, _Name, _Args, _Options) ->
    bad_argument(<<"the arguments must be a list and the options a map">>).

%% Runs a call of `Instance' to its end: applies host funs (to `Instance'
%% and their arguments) and resumes after each, delivers WASI output and
%% answers WASI waits, in the calling process.
drive(Result, Instance) ->
    drive(Result, Instance, none).

%% `PendingRead' is `none', or the reference of a line requested from the
%% group leader for stdin that has not come yet (a poll timed out).
drive({host_call, Call, Fun, Args}, Instance, PendingRead) ->
    try Fun(Instance, Args) of
        Results -> drive(wasmbeam_nif:resume(Call, Results), Instance, PendingRead)
    catch
        Class:Reason:Stacktrace ->
            wasmbeam_nif:abort(Call),
            {error, {host_error, Class, Reason, Stacktrace}}
    end;
drive({wasi_output, Call, Chunks}, Instance, PendingRead) ->
    lists:foreach(fun(Chunk) -> deliver(Instance, Chunk) end, Chunks),
    drive(wasmbeam_nif:proceed(Call), Instance, PendingRead);
drive({wasi_wait, Call, stdin}, Instance, PendingRead) ->
    Ref = request_line(PendingRead),
    receive
        {io_reply, Ref, Reply} -> drive(wasmbeam_nif:wasi_resume(Call, stdin_data(Reply)), Instance, none)
    end;
drive({wasi_wait, Call, {poll, Timeout, false}}, Instance, PendingRead) ->
    receive after Timeout -> ok end,
    drive(wasmbeam_nif:wasi_resume(Call, none), Instance, PendingRead);
drive({wasi_wait, Call, {poll, Timeout, true}}, Instance, PendingRead) ->
    Ref = request_line(PendingRead),
    receive
        {io_reply, Ref, Reply} -> drive(wasmbeam_nif:wasi_resume(Call, stdin_data(Reply)), Instance, none)
    after Timeout ->
        drive(wasmbeam_nif:wasi_resume(Call, none), Instance, Ref)
    end;
drive({error, {bad_results, Description}}, _Instance, _PendingRead) ->
    {error, {host_error, error, {bad_results, Description}, []}};
drive(Result, _Instance, _PendingRead) ->
    Result.

%% Program output, where the `wasi' options route it.
deliver(_Instance, {io, _Stream, Bytes}) ->
    io:put_chars(group_leader(), Bytes);
deliver(Instance, {Pid, stdout, Bytes}) when is_pid(Pid) ->
    Pid ! {wasmbeam_stdout, Instance, Bytes};
deliver(Instance, {Pid, stderr, Bytes}) when is_pid(Pid) ->
    Pid ! {wasmbeam_stderr, Instance, Bytes}.

%% Asks the group leader for a line of stdin (an `io:get_line/2' request,
%% sent by hand so that a poll can wait for it with a timeout), unless one
%% is asked for already.
request_line(none) ->
    Ref = make_ref(),
    group_leader() ! {io_request, self(), Ref, {get_line, unicode, ''}},
    Ref;
request_line(Ref) ->
    Ref.

stdin_data(eof) -> eof;
stdin_data({error, _}) -> eof;
stdin_data(Data) ->
    case unicode:characters_to_binary(Data) of
        Binary when is_binary(Binary) -> Binary;
        _ -> eof
    end.

%% @doc Runs a WASI command: instantiates `Module' with WASI (and no other
%% imports), runs its `_start' in the calling process, preempted like any
%% call, and returns its exit status (0 when `_start' returns). When
%% stdout or stderr is `capture', or `files' is given, returns what was
%% captured and the files too: `{ok, ExitCode, #{stdout := binary(),
%% stderr := binary(), files => #{binary() => binary()}}}'.
%%
%% WASI options: `args' (the whole `argv', the program's name first;
%% default none), `env' (a map of names to values), `preopens' (host
%% directories the program may use, `[{HostDir, GuestDir}]', or
%% `{HostDir, GuestDir, read_only}': sandboxed, no escape through `..' or
%% symlinks), `files' (an in-memory file system preopened as `/', filled
%% with `#{GuestPath => Contents}' and returned after the run with every
%% file the program left in it), `stdin' (a binary,
%% then end of file; `io' to read lines from the calling process's group
%% leader when the program reads; `closed', the default), `stdout' and
%% `stderr' (`io', the default: the group leader, as `io:put_chars/2';
%% `{send, Pid}': messages `{wasmbeam_stdout | wasmbeam_stderr, Instance,
%% Bytes}'; `capture'; `discard'). A program that sleeps or waits for
%% input waits in a `receive' in the calling process: it holds no
%% scheduler and can be killed. The instance options (`memory_limit',
%% `fuel_limit', `stack_limit') and the call option `timeout' may be given
%% in the same map.
-spec run(wasm_module(), run_options()) ->
          {ok, integer()}
          | {ok, integer(), #{stdout := binary(), stderr := binary(), files => #{binary() => binary()}}}
          | {error, error_reason()}.
run(Module, Options) when is_map(Options) ->
    InstanceKeys = [memory_limit, fuel_limit, stack_limit],
    CallKeys = [timeout],
    WasiOptions = maps:without(InstanceKeys ++ CallKeys, Options),
    InstanceOptions = (maps:with(InstanceKeys, Options))#{wasi => WasiOptions},
    case instantiate(Module, #{}, InstanceOptions) of
        {ok, Instance} ->
            Status = case call(Instance, <<"_start">>, [], maps:with(CallKeys, Options)) of
                         {ok, _} -> {ok, 0};
                         {error, {exit, Code}} -> {ok, Code};
                         {error, _} = Error -> Error
                     end,
            Captures = lists:member(capture, [maps:get(stdout, Options, io), maps:get(stderr, Options, io)])
                orelse maps:is_key(files, Options),
            case {Status, Captures} of
                {{ok, Code2}, true} ->
                    {ok, Captured} = wasmbeam_nif:wasi_captured(Instance),
                    {ok, Code2, Captured};
                _ ->
                    Status
            end;
        {error, _} = Error ->
            Error
    end;
run(_Module, _Options) ->
    bad_argument(<<"the options must be a map">>).

%% @doc Reads `Length' bytes at `Offset' of the instance's memory (its
%% export `memory', or its first exported memory). Allowed from any
%% process, also while a call is suspended.
-spec read_memory(instance(), non_neg_integer(), non_neg_integer()) -> {ok, binary()} | {error, error_reason()}.
read_memory(Instance, Offset, Length) ->
    read_memory(Instance, Offset, Length, #{}).

%% @doc Like `read_memory/3', of the memory the option `memory' names
%% (by index or export name; without it, the default memory).
-spec read_memory(instance(), non_neg_integer(), non_neg_integer(), memory_options()) ->
          {ok, binary()} | {error, error_reason()}.
read_memory(Instance, Offset, Length, Options) ->
    with_memory(Options, fun(Memory) -> wasmbeam_nif:read_memory(Instance, Memory, Offset, Length) end).

%% @doc Writes `Bytes' at `Offset' of the instance's memory.
-spec write_memory(instance(), non_neg_integer(), binary()) -> ok | {error, error_reason()}.
write_memory(Instance, Offset, Bytes) ->
    write_memory(Instance, Offset, Bytes, #{}).

%% @doc Like `write_memory/3', to the memory the option `memory' names.
-spec write_memory(instance(), non_neg_integer(), binary(), memory_options()) -> ok | {error, error_reason()}.
write_memory(Instance, Offset, Bytes, Options) ->
    with_memory(Options, fun(Memory) -> wasmbeam_nif:write_memory(Instance, Memory, Offset, Bytes) end).

%% @doc The size of the instance's memory in bytes.
-spec memory_size(instance()) -> {ok, non_neg_integer()} | {error, error_reason()}.
memory_size(Instance) ->
    memory_size(Instance, #{}).

%% @doc Like `memory_size/1', of the memory the option `memory' names.
-spec memory_size(instance(), memory_options()) -> {ok, non_neg_integer()} | {error, error_reason()}.
memory_size(Instance, Options) ->
    with_memory(Options, fun(Memory) -> wasmbeam_nif:memory_size(Instance, Memory) end).

%% @doc Grows the instance's memory by `Pages' pages of 64 KiB; returns the
%% previous size in pages. Growing past the memory's maximum or the
%% instance's `memory_limit' is `{error, {limit, Message}}'.
-spec grow_memory(instance(), non_neg_integer()) -> {ok, non_neg_integer()} | {error, error_reason()}.
grow_memory(Instance, Pages) ->
    grow_memory(Instance, Pages, #{}).

%% @doc Like `grow_memory/2', of the memory the option `memory' names.
-spec grow_memory(instance(), non_neg_integer(), memory_options()) ->
          {ok, non_neg_integer()} | {error, error_reason()}.
grow_memory(Instance, Pages, Options) ->
    with_memory(Options, fun(Memory) -> wasmbeam_nif:grow_memory(Instance, Memory, Pages) end).

%% The NIFs take the memory as `[]' (the default one), an index or a name.
with_memory(#{memory := Memory}, Fun) when is_integer(Memory), Memory >= 0;
                                           is_binary(Memory); is_atom(Memory) ->
    Fun(Memory);
with_memory(#{memory := _}, _Fun) ->
    bad_argument(<<"a memory is named by its index (a non-negative integer) or export name (a binary or atom)">>);
with_memory(Options, Fun) when is_map(Options), map_size(Options) =:= 0 ->
    Fun([]);
with_memory(Options, _Fun) when is_map(Options) ->
    bad_argument(<<"the only memory option is memory">>);
with_memory(_Options, _Fun) ->
    bad_argument(<<"the options must be a map">>).

%% @doc The value of the exported global `Name'.
-spec get_global(instance(), binary() | atom()) -> {ok, value()} | {error, error_reason()}.
get_global(Instance, Name) ->
    wasmbeam_nif:get_global(Instance, Name).

%% @doc Sets the exported mutable global `Name'.
-spec set_global(instance(), binary() | atom(), value()) -> ok | {error, error_reason()}.
set_global(Instance, Name, Value) ->
    wasmbeam_nif:set_global(Instance, Name, Value).

%% @doc Every trap code `{trap, Code}' can carry, with its message, in
%% order: the runtime's own table, which `format_error/1' (and the Elixir
%% API's `Wasmbeam.Error') describe traps with.
-spec trap_codes() -> [{trap_code(), binary()}].
trap_codes() ->
    wasmbeam_nif:trap_codes().

%% @doc Describes an error reason in words, as `Reason' of `{error, Reason}'
%% from any function here. Unknown terms are described as they are.
-spec format_error(error_reason() | term()) -> binary().
format_error({trap, Code}) when is_atom(Code) ->
    case lists:keyfind(Code, 1, trap_codes()) of
        {Code, Message} -> <<"WebAssembly trap: ", Message/binary>>;
        false -> text("WebAssembly trap: ~0p", [Code])
    end;
format_error({exception, #{tag := Tag, payload := Payload}}) when is_binary(Tag), is_list(Payload) ->
    text("uncaught WebAssembly exception: tag \"~ts\", payload ~w", [Tag, Payload]);
format_error({exception, #{tag := Tag, payload := Payload}}) when is_reference(Tag), is_list(Payload) ->
    text("uncaught WebAssembly exception: a tag the instance does not export, payload ~w", [Payload]);
format_error({host_error, error, {bad_results, Description}, _Stacktrace}) when is_binary(Description) ->
    <<"a host function returned bad results: ", Description/binary>>;
format_error({host_error, Class, Reason, Stacktrace})
  when (Class =:= error orelse Class =:= exit orelse Class =:= throw), is_list(Stacktrace) ->
    Formatted = erl_error:format_exception(Class, Reason, Stacktrace),
    string:trim(unicode:characters_to_binary(["a host function failed: ", Formatted]), trailing);
format_error(busy) ->
    <<"another process is in a call on the instance">>;
format_error(timeout) ->
    <<"the call timed out">>;
format_error({invalid_module, Message}) ->
    described(<<"invalid module: ">>, Message);
format_error({link_error, Message}) ->
    described(<<"link error: ">>, Message);
format_error({limit, Message}) ->
    described(<<"limit exceeded: ">>, Message);
format_error({bad_argument, Description}) ->
    described(<<"bad argument: ">>, Description);
format_error({exit, Status}) when is_integer(Status) ->
    text("the WebAssembly program exited with status ~b", [Status]);
format_error({internal_error, Message}) ->
    described(<<"internal error in wasmbeam (please report it): ">>, Message);
format_error(Other) ->
    text("wasmbeam error: ~0p", [Other]).

described(Prefix, Message) when is_binary(Message) ->
    <<Prefix/binary, Message/binary>>;
described(Prefix, Other) ->
    text("~ts~0p", [Prefix, Other]).

text(Format, Args) ->
    unicode:characters_to_binary(io_lib:format(Format, Args)).

%% @doc Counters for diagnostics and tests: live `modules', `instances'
%% and suspended `calls' (resources not yet freed), how many times calls
%% gave their scheduler back (`reschedules'), and the longest time one
%% slice ran WebAssembly, in wall-clock time (`longest_slice_us', which
%% includes time the OS took the scheduler thread away) and in the
%% thread's CPU time (`longest_slice_cpu_us'), how many slices took how
%% much CPU time (`slices_by_cpu_us': `{UpToUs, Count}' pairs, each counting
%% the slices shorter than `UpToUs' and not shorter than the previous bound,
%% the last bound `infinity'), and how many
%% `{internal_error, _}' reasons were returned (`internal_errors': 0 unless
%% wasmbeam has a bug, or a test injected faults, `injected_faults').
%% On a shared machine the longest slice is mostly the host's noise (a
%% virtual CPU taken away still counts as CPU time); the distribution says
%% whether slices are short as a rule.
-spec stats() -> #{modules := integer(), instances := integer(), calls := integer(),
                   reschedules := non_neg_integer(), longest_slice_us := non_neg_integer(),
                   longest_slice_cpu_us := non_neg_integer(),
                   slices_by_cpu_us := [{pos_integer() | infinity, non_neg_integer()}],
                   internal_errors := non_neg_integer(), injected_faults := non_neg_integer()}.
stats() ->
    wasmbeam_nif:stats().

bad_argument(Description) ->
    {error, {bad_argument, Description}}.
