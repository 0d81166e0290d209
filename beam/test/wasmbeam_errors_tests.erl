%% EUnit: every error reason the Erlang API documents (`wasmbeam' module
%% docs and `error_reason()'), each produced for real, and every trap code
%% of the engine's table produced by WebAssembly code. `internal_error'
%% only comes from faults injected on purpose (`wasmbeam_nif:fault/1'); the
%% suite runner (`wasmbeam_suite') checks afterwards that no other test met
%% one.
-module(wasmbeam_errors_tests).

-include_lib("eunit/include/eunit.hrl").

%% The trap codes `trap_code()' documents, in the table's order.
-define(TRAP_CODES, [call_stack_exhausted, out_of_bounds_memory_access, out_of_bounds_table_access,
                     uninitialized_element, undefined_element, indirect_call_type_mismatch,
                     integer_overflow, integer_divide_by_zero, invalid_conversion_to_integer,
                     unreachable, out_of_fuel, null_exception_reference, null_function_reference,
                     null_reference]).

-define(TRAPS, <<"(module
  (memory 1)
  (table $t 2 funcref)
  (type $ret (func (result i32)))
  (func $seven (result i64) (i64.const 7))
  (elem (table $t) (i32.const 1) func $seven)
  (func $forever (export \"call_stack_exhausted\") (result i32) (i32.add (call $forever) (i32.const 1)))
  (func (export \"out_of_bounds_memory_access\") (result i32) (i32.load (i32.const 65536)))
  (func (export \"out_of_bounds_table_access\") (result funcref) (table.get $t (i32.const 2)))
  (func (export \"uninitialized_element\") (result i32) (call_indirect (type $ret) (i32.const 0)))
  (func (export \"undefined_element\") (result i32) (call_indirect (type $ret) (i32.const 2)))
  (func (export \"indirect_call_type_mismatch\") (result i32) (call_indirect (type $ret) (i32.const 1)))
  (func (export \"integer_overflow\") (result i32) (i32.div_s (i32.const -2147483648) (i32.const -1)))
  (func (export \"integer_divide_by_zero\") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func (export \"invalid_conversion_to_integer\") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export \"unreachable\") unreachable)
  (func (export \"null_exception_reference\") (throw_ref (ref.null exn)))
  (func (export \"null_function_reference\") (result i32) (call_ref $ret (ref.null $ret)))
  (func (export \"null_reference\") (drop (ref.as_non_null (ref.null func))))
  (func (export \"out_of_fuel\") (loop $l (br $l))))">>).

trap_codes_are_the_documented_ones_test() ->
    ?assertEqual(?TRAP_CODES, [Code || {Code, _} <- wasmbeam:trap_codes()]),
    %% The `trap_code()' type of the API lists the same atoms.
    {ok, {wasmbeam, [{abstract_code, {raw_abstract_v1, Forms}}]}} =
        beam_lib:chunks(code:which(wasmbeam), [abstract_code]),
    [Union] = [Type || {attribute, _, type, {trap_code, Type, []}} <- Forms],
    {type, _, union, Atoms} = Union,
    ?assertEqual(lists:sort(?TRAP_CODES), lists:sort([A || {atom, _, A} <- Atoms])),
    [?assert(is_binary(Message) andalso Message =/= <<>>) || {_, Message} <- wasmbeam:trap_codes()].

every_trap_code_is_produced_and_described_test() ->
    {ok, M} = wasmbeam:compile(?TRAPS),
    {ok, I} = wasmbeam:instantiate(M, #{}, #{fuel_limit => 1000000}),
    lists:foreach(
      fun({Code, Message}) ->
              ?assertEqual({error, {trap, Code}}, wasmbeam:call(I, Code, [])),
              ?assertEqual(<<"WebAssembly trap: ", Message/binary>>, wasmbeam:format_error({trap, Code}))
      end, wasmbeam:trap_codes()).

host_errors_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (import \"env\" \"f\" (func $f (result i32)))
                                   (func (export \"run\") (result i32) (call $f)))">>),
    Run = fun(Fun) ->
                  {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => Fun}}),
                  wasmbeam:call(I, run, [])
          end,
    ?assertMatch({error, {host_error, error, badarith, [_ | _]}}, Run(fun(_, _) -> 1 / zero() end)),
    ?assertMatch({error, {host_error, throw, ball, _}}, Run(fun(_, _) -> throw(ball) end)),
    ?assertMatch({error, {host_error, exit, gone, _}}, Run(fun(_, _) -> exit(gone) end)),
    {error, {host_error, error, {bad_results, Description}, []}} = Run(fun(_, _) -> [1.5] end),
    ?assertEqual(<<"a host function returned bad results: ", Description/binary>>,
                 wasmbeam:format_error({host_error, error, {bad_results, Description}, []})),
    {error, {host_error, throw, ball, _} = Thrown} = Run(fun(_, _) -> throw(ball) end),
    ?assertMatch(<<"a host function failed: ", _/binary>>, wasmbeam:format_error(Thrown)).

zero() -> 0.

%% An exception no handler caught; more in `wasmbeam_exceptions_tests'.
exception_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (tag $e (export \"e\") (param i32 f64))
                                   (func (export \"f\") (throw $e (i32.const 42) (f64.const 0.5))))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    {error, {exception, #{tag := <<"e">>, payload := [42, 0.5]}} = Reason} = wasmbeam:call(I, f, []),
    ?assertEqual(<<"uncaught WebAssembly exception: tag \"e\", payload [42,0.5]">>, wasmbeam:format_error(Reason)).

busy_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (import \"env\" \"wait\" (func $w))
                                   (func (export \"run\") (call $w)))">>),
    Self = self(),
    Wait = fun(_, []) -> Self ! waiting, receive go -> [] end end,
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"wait">> => Wait}}),
    Caller = spawn_link(fun() -> Self ! {done, wasmbeam:call(I, run, [])} end),
    receive waiting -> ok end,
    ?assertEqual({error, busy}, wasmbeam:call(I, run, [])),
    ?assertEqual(<<"another process is in a call on the instance">>, wasmbeam:format_error(busy)),
    Caller ! go,
    receive {done, Result} -> ?assertEqual({ok, []}, Result) end.

timeout_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (func (export \"spin\") (loop $l (br $l))))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual({error, timeout}, wasmbeam:call(I, spin, [], #{timeout => 20})),
    ?assertEqual(<<"the call timed out">>, wasmbeam:format_error(timeout)).

invalid_module_test() ->
    {error, {invalid_module, Text}} = wasmbeam:compile(<<"(module">>),
    ?assertMatch({error, {invalid_module, _}}, wasmbeam:compile(<<0, "asm", 1, 0, 0, 0, 99>>)),
    %% A feature wasmbeam does not support (threads' shared memories) is an
    %% invalid module too.
    ?assertMatch({error, {invalid_module, _}}, wasmbeam:compile(<<"(module (memory 1 1 shared))">>)),
    ?assertEqual(<<"invalid module: ", Text/binary>>, wasmbeam:format_error({invalid_module, Text})).

link_error_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (import \"env\" \"f\" (func)))">>),
    {error, {link_error, Message}} = wasmbeam:instantiate(M, #{}),
    ?assertNotEqual(nomatch, binary:match(Message, <<"unknown import">>)),
    {ok, Mem} = wasmbeam:compile(<<"(module (import \"env\" \"m\" (memory 1)))">>),
    ?assertMatch({error, {link_error, _}}, wasmbeam:instantiate(Mem, #{})),
    ?assertEqual(<<"link error: ", Message/binary>>, wasmbeam:format_error({link_error, Message})).

limit_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (memory (export \"memory\") 2))">>),
    {error, {limit, Message}} = wasmbeam:instantiate(M, #{}, #{memory_limit => 65536}),
    {ok, I} = wasmbeam:instantiate(M, #{}, #{memory_limit => 3 * 65536}),
    ?assertMatch({error, {limit, _}}, wasmbeam:grow_memory(I, 2)),
    ?assertMatch({error, {limit, _}}, wasmbeam:read_memory(I, 0, 1 bsl 31)),
    ?assertEqual(<<"limit exceeded: ", Message/binary>>, wasmbeam:format_error({limit, Message})).

%% Every function of the API answers a term of the wrong kind with
%% `{bad_argument, _}', never an exception.
bad_argument_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (memory (export \"memory\") 1)
                                   (global (export \"g\") (mut i32) (i32.const 0))
                                   (func (export \"f\")))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    NotOne = [make_ref(), 42, foo, self(), <<"bytes">>, M, I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:exports(X)) || X <- NotOne, X =/= M],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:imports(X)) || X <- NotOne, X =/= M],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(X, #{})) || X <- NotOne, X =/= M],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:call(X, f, [])) || X <- NotOne, X =/= I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(X, 0, 1)) || X <- NotOne, X =/= I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:write_memory(X, 0, <<1>>)) || X <- NotOne, X =/= I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:memory_size(X)) || X <- NotOne, X =/= I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:grow_memory(X, 1)) || X <- NotOne, X =/= I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:get_global(X, g)) || X <- NotOne, X =/= I],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam:set_global(X, g, 1)) || X <- NotOne, X =/= I],
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:compile(42)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:grow_memory(I, -1)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:grow_memory(I, one)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:get_global(I, 42)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:set_global(I, g, <<"x">>)),
    {error, {bad_argument, Description}} = wasmbeam:call(I, f, [1]),
    ?assertEqual(<<"bad argument: ", Description/binary>>, wasmbeam:format_error({bad_argument, Description})),
    %% The NIF library itself answers the same way (the API adds nothing).
    [?assertMatch({error, {bad_argument, _}}, wasmbeam_nif:Fun(X))
     || Fun <- [module_exports, module_imports, run_start, abort, call_memory, proceed,
                wasi_captured], X <- [foo, 42]],
    [?assertMatch({error, {bad_argument, _}}, wasmbeam_nif:memory_size(X, Memory))
     || X <- [foo, 42], Memory <- [[], 0, <<"memory">>, {bad}]],
    ?assertMatch({error, {bad_argument, _}}, wasmbeam_nif:wasi_resume(foo, none)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam_nif:resume(foo, [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam_nif:fault(elsewhere)).

%% A bug in the library (here a panic injected on purpose, in a NIF and on
%% a dirty scheduler) is `{internal_error, _}', and harms nothing else.
internal_error_test() ->
    #{internal_errors := Errors, injected_faults := Faults} = wasmbeam:stats(),
    {error, {internal_error, Message}} = wasmbeam_nif:fault(nif),
    ?assertNotEqual(nomatch, binary:match(Message, <<"a fault injected in a NIF">>)),
    ?assertMatch({error, {internal_error, _}}, wasmbeam_nif:fault(dirty)),
    ?assertMatch(#{internal_errors := E, injected_faults := F} when E == Errors + 2 andalso F == Faults + 2,
                 wasmbeam:stats()),
    ?assertMatch(<<"internal error in wasmbeam (please report it): ", _/binary>>,
                 wasmbeam:format_error({internal_error, Message})),
    {ok, M} = wasmbeam:compile(<<"(module (func (export \"f\") (result i32) (i32.const 1)))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual({ok, [1]}, wasmbeam:call(I, f, [])).

%% A WASI program that exits during a call of an export.
exit_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))
        (memory (export \"memory\") 1)
        (func (export \"quit\") (param i32) (call $exit (local.get 0)) unreachable))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}, #{wasi => #{}}),
    ?assertEqual({error, {exit, 3}}, wasmbeam:call(I, quit, [3])),
    ?assertEqual(<<"the WebAssembly program exited with status 3">>, wasmbeam:format_error({exit, 3})).

unknown_reasons_are_described_as_they_are_test() ->
    ?assertEqual(<<"wasmbeam error: {something,else}">>, wasmbeam:format_error({something, else})),
    ?assertEqual(<<"WebAssembly trap: brand_new">>, wasmbeam:format_error({trap, brand_new})).
