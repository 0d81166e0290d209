%% EUnit tests of the Erlang API: compiling, instantiating, calling,
%% values, host funs, memory, globals, and the error terms of every kind of
%% bad input.
-module(wasmbeam_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ARITH, <<"(module
  (memory (export \"memory\") 1 4)
  (global $g (export \"counter\") (mut i64) (i64.const 7))
  (global (export \"fixed\") f64 (f64.const 1.5))
  (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export \"add64\") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export \"divs\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export \"fdiv\") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export \"fneg\") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export \"pair\") (result i32 i64) (i32.const -1) (i64.const -2))
  (func (export \"load\") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export \"trap\") unreachable)
  (func $deep (export \"deep\") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))
  (func (export \"ext\") (param externref) (result externref) (local.get 0))
  (func (export \"nullfunc\") (result funcref) (ref.null func))
  (func (export \"bump\") (global.set $g (i64.add (global.get $g) (i64.const 1)))))">>).

arith() ->
    {ok, Module} = wasmbeam:compile(?ARITH),
    {ok, Instance} = wasmbeam:instantiate(Module, #{}),
    Instance.

compile_binary_and_text_test() ->
    {ok, FromText} = wasmbeam:compile(<<"(module (func (export \"f\") (result i32) (i32.const 42)))">>),
    %% The same module as bytes (what `wat2wasm` produces).
    Binary = <<0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,6,1,4,0,65,42,11>>,
    {ok, FromBinary} = wasmbeam:compile(Binary),
    {ok, I1} = wasmbeam:instantiate(FromText, #{}),
    {ok, I2} = wasmbeam:instantiate(FromBinary, #{}),
    ?assertEqual({ok, [42]}, wasmbeam:call(I1, <<"f">>, [])),
    ?assertEqual({ok, [42]}, wasmbeam:call(I2, f, [])),
    %% iodata is accepted too.
    ?assertMatch({ok, _}, wasmbeam:compile([<<"(module">>, " )"])).

exports_and_imports_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (import \"env\" \"log\" (func (param i32 f64)))
        (memory (export \"mem\") 2 10)
        (table (export \"tab\") 3 funcref)
        (global (export \"g\") (mut i32) (i32.const 0))
        (func (export \"f\") (param i64) (result f32 i32) (f32.const 0) (i32.const 0)))">>),
    ?assertEqual({ok, [{<<"env">>, <<"log">>, {function, [i32, f64], []}}]}, wasmbeam:imports(M)),
    {ok, Exports} = wasmbeam:exports(M),
    ?assertEqual([{<<"mem">>, {memory, #{min => 2, max => 10}}},
                  {<<"tab">>, {table, #{element => funcref, min => 3, max => infinity}}},
                  {<<"g">>, {global, #{type => i32, mutable => true}}},
                  {<<"f">>, {function, [i64], [f32, i32]}}], Exports).

%% An export named by an atom is remembered between calls: calls that
%% alternate exports, mix atoms and binaries, or name no export each get
%% their own answer.
export_names_test() ->
    I = arith(),
    ?assertEqual({ok, [5]}, wasmbeam:call(I, add, [2, 3])),
    ?assertEqual({ok, [5]}, wasmbeam:call(I, add, [2, 3])),
    ?assertEqual({ok, [-1, -2]}, wasmbeam:call(I, pair, [])),
    ?assertEqual({ok, [7]}, wasmbeam:call(I, <<"add">>, [3, 4])),
    ?assertEqual({ok, [-1, -2]}, wasmbeam:call(I, pair, [])),
    ?assertMatch({error, {bad_argument, <<"no exported function named `nothing`">>}},
                 wasmbeam:call(I, nothing, [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, pair, [1])),
    ?assertEqual({ok, [9]}, wasmbeam:call(I, add, [4, 5])),
    %% Another instance of the same module remembers its own.
    J = arith(),
    ?assertEqual({ok, [3]}, wasmbeam:call(J, divs, [7, 2])),
    ?assertEqual({ok, [-1, -2]}, wasmbeam:call(I, pair, [])).

values_test() ->
    I = arith(),
    ?assertEqual({ok, [5]}, wasmbeam:call(I, add, [2, 3])),
    %% i32 arguments may be unsigned; results are signed.
    ?assertEqual({ok, [-1]}, wasmbeam:call(I, add, [16#FFFFFFFF, 0])),
    ?assertEqual({ok, [-2147483648]}, wasmbeam:call(I, add, [16#7FFFFFFF, 1])),
    ?assertEqual({ok, [-1]}, wasmbeam:call(I, add64, [16#FFFFFFFFFFFFFFFF, 0])),
    ?assertEqual({ok, [1 bsl 62]}, wasmbeam:call(I, add64, [1 bsl 61, 1 bsl 61])),
    ?assertEqual({ok, [2.5]}, wasmbeam:call(I, fdiv, [5, 2.0])),
    ?assertEqual({ok, [infinity]}, wasmbeam:call(I, fdiv, [1.0, 0.0])),
    ?assertEqual({ok, [neg_infinity]}, wasmbeam:call(I, fdiv, [-1.0, 0.0])),
    ?assertEqual({ok, [nan]}, wasmbeam:call(I, fdiv, [0.0, 0.0])),
    ?assertEqual({ok, [nan]}, wasmbeam:call(I, fdiv, [nan, 1.0])),
    ?assertEqual({ok, [-0.5]}, wasmbeam:call(I, fneg, [0.5])),
    ?assertEqual({ok, [neg_infinity]}, wasmbeam:call(I, fneg, [infinity])),
    ?assertEqual({ok, [-1, -2]}, wasmbeam:call(I, pair, [])),
    ?assertEqual({ok, [null]}, wasmbeam:call(I, ext, [null])),
    ?assertEqual({ok, [{externref, 99}]}, wasmbeam:call(I, ext, [{externref, 99}])),
    ?assertEqual({ok, [null]}, wasmbeam:call(I, nullfunc, [])).

traps_test() ->
    I = arith(),
    ?assertEqual({error, {trap, unreachable}}, wasmbeam:call(I, trap, [])),
    ?assertEqual({error, {trap, integer_divide_by_zero}}, wasmbeam:call(I, divs, [1, 0])),
    ?assertEqual({error, {trap, integer_overflow}}, wasmbeam:call(I, divs, [-2147483648, -1])),
    ?assertEqual({error, {trap, out_of_bounds_memory_access}}, wasmbeam:call(I, load, [65535])),
    ?assertEqual({error, {trap, call_stack_exhausted}}, wasmbeam:call(I, deep, [0])),
    %% The instance is still usable after each trap.
    ?assertEqual({ok, [3]}, wasmbeam:call(I, add, [1, 2])).

memory_test() ->
    I = arith(),
    ?assertEqual({ok, 65536}, wasmbeam:memory_size(I)),
    ?assertEqual(ok, wasmbeam:write_memory(I, 100, <<1, 0, 0, 0>>)),
    ?assertEqual({ok, [1]}, wasmbeam:call(I, load, [100])),
    ?assertEqual({ok, <<1, 0, 0, 0, 0>>}, wasmbeam:read_memory(I, 100, 5)),
    ?assertEqual({ok, 1}, wasmbeam:grow_memory(I, 1)),
    ?assertEqual({ok, 2 * 65536}, wasmbeam:memory_size(I)),
    ?assertEqual({ok, [2]}, wasmbeam:call(I, grow, [1])),
    %% The declared maximum is 4 pages.
    ?assertMatch({error, {limit, _}}, wasmbeam:grow_memory(I, 2)),
    ?assertEqual({ok, [-1]}, wasmbeam:call(I, grow, [2])),
    ?assertEqual({ok, <<>>}, wasmbeam:read_memory(I, 3 * 65536, 0)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 3 * 65536, 1)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:write_memory(I, 3 * 65536 - 1, <<1, 2>>)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 1 bsl 63, 1 bsl 20)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, -1, 1)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:write_memory(I, 0, not_a_binary)).

%% A 64-bit memory (memory64) reads and writes like any other, and its type
%% says it is one.
memory64_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (memory (export \"memory\") i64 1 2)
        (table (export \"t\") i64 1 funcref)
        (func (export \"peek\") (param i64) (result i32) (i32.load8_u (local.get 0)))
        (func (export \"size\") (result i64) (memory.size)))">>),
    ?assertEqual({ok, [{<<"memory">>, {memory, #{min => 1, max => 2, index => i64}}},
                       {<<"t">>, {table, #{element => funcref, min => 1, max => infinity, index => i64}}},
                       {<<"peek">>, {function, [i64], [i32]}},
                       {<<"size">>, {function, [], [i64]}}]},
                 wasmbeam:exports(M)),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual(ok, wasmbeam:write_memory(I, 65535, <<42>>)),
    ?assertEqual({ok, [42]}, wasmbeam:call(I, peek, [65535])),
    ?assertEqual({error, {trap, out_of_bounds_memory_access}}, wasmbeam:call(I, peek, [1 bsl 32])),
    ?assertEqual({ok, 1}, wasmbeam:grow_memory(I, 1)),
    ?assertEqual({ok, [2]}, wasmbeam:call(I, size, [])),
    ?assertEqual({ok, <<42>>}, wasmbeam:read_memory(I, 65535, 1)).

%% With multi-memory, each memory is reached by its index (exported or not)
%% or its export name; the default is the export `memory'.
several_memories_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (memory $hidden 1 2)
        (memory (export \"memory\") 2)
        (memory (export \"third\") 1 3)
        (data (memory $hidden) (i32.const 0) \"zero\")
        (data (memory 2) (i32.const 16) \"two\")
        (func (export \"load8\") (param i32) (result i32 i32 i32)
          (i32.load8_u $hidden (local.get 0))
          (i32.load8_u 1 (local.get 0))
          (i32.load8_u 2 (local.get 0)))
        (func (export \"sizes\") (result i32 i32 i32)
          (memory.size $hidden) (memory.size 1) (memory.size 2)))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual({ok, <<"zero">>}, wasmbeam:read_memory(I, 0, 4, #{memory => 0})),
    ?assertEqual({ok, <<"two">>}, wasmbeam:read_memory(I, 16, 3, #{memory => 2})),
    ?assertEqual({ok, <<"two">>}, wasmbeam:read_memory(I, 16, 3, #{memory => third})),
    ?assertEqual({ok, <<"two">>}, wasmbeam:read_memory(I, 16, 3, #{memory => <<"third">>})),
    %% The default memory is the export `memory' (index 1 here).
    ?assertEqual({ok, 2 * 65536}, wasmbeam:memory_size(I)),
    ?assertEqual({ok, 2 * 65536}, wasmbeam:memory_size(I, #{memory => 1})),
    ?assertEqual(ok, wasmbeam:write_memory(I, 5, <<7>>, #{memory => 0})),
    ?assertEqual(ok, wasmbeam:write_memory(I, 5, <<8>>)),
    ?assertEqual(ok, wasmbeam:write_memory(I, 5, <<9>>, #{memory => third})),
    ?assertEqual({ok, [7, 8, 9]}, wasmbeam:call(I, load8, [5])),
    ?assertEqual({ok, 1}, wasmbeam:grow_memory(I, 1, #{memory => 0})),
    ?assertMatch({error, {limit, _}}, wasmbeam:grow_memory(I, 1, #{memory => 0})),
    ?assertEqual({ok, 1}, wasmbeam:grow_memory(I, 2, #{memory => 2})),
    ?assertEqual({ok, [2, 2, 3]}, wasmbeam:call(I, sizes, [])),
    %% Each memory has its own bounds.
    ?assertEqual({ok, <<0>>}, wasmbeam:read_memory(I, 2 * 65536 - 1, 1, #{memory => 0})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 2 * 65536, 1, #{memory => 0})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1, #{memory => 3})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1, #{memory => 1 bsl 40})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1, #{memory => nope})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1, #{memory => -1})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1, #{memory => {0}})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1, #{mem => 0})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:memory_size(I, [{memory, 0}])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:grow_memory(I, 1, #{memory => "third"})).

%% Copies over 1 MiB, and modules over 256 KiB, go to a dirty scheduler.
large_memory_copies_run_on_a_dirty_scheduler_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (memory (export \"memory\") 40))">>),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    Data = crypto:strong_rand_bytes(2 * 1024 * 1024),
    ?assertEqual(ok, wasmbeam:write_memory(I, 7, Data)),
    ?assertEqual({ok, Data}, wasmbeam:read_memory(I, 7, byte_size(Data))),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 40 * 65536 - 10, 2 * 1024 * 1024)).

large_modules_instantiate_on_a_dirty_scheduler_test() ->
    Segment = binary:copy(<<"ab">>, 150000),
    Wat = iolist_to_binary([<<"(module (memory (export \"memory\") 5) (data (i32.const 100) \"">>, Segment,
                            <<"\") (func (export \"at\") (param i32) (result i32) (i32.load8_u (local.get 0))))">>]),
    {ok, M} = wasmbeam:compile(Wat),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual({ok, [$b]}, wasmbeam:call(I, at, [101 + 2 * 149999])),
    ?assertEqual({ok, <<"abab">>}, wasmbeam:read_memory(I, 100, 4)),
    %% A bad imports argument is still refused on that path.
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, #{}, #{color => blue})).

globals_test() ->
    I = arith(),
    ?assertEqual({ok, 7}, wasmbeam:get_global(I, <<"counter">>)),
    ?assertEqual({ok, []}, wasmbeam:call(I, bump, [])),
    ?assertEqual({ok, 8}, wasmbeam:get_global(I, counter)),
    ?assertEqual(ok, wasmbeam:set_global(I, counter, -5)),
    ?assertEqual({ok, []}, wasmbeam:call(I, bump, [])),
    ?assertEqual({ok, -4}, wasmbeam:get_global(I, counter)),
    ?assertEqual({ok, 1.5}, wasmbeam:get_global(I, fixed)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:set_global(I, fixed, 2.0)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:set_global(I, counter, 1.5)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:get_global(I, missing)).

host_funs_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (import \"env\" \"add\" (func $add (param i32 i32) (result i32)))
        (import \"env\" \"log\" (func $log (param i32)))
        (memory (export \"memory\") 1)
        (func (export \"run\") (param i32) (result i32)
          (call $log (local.get 0))
          (call $add (local.get 0) (i32.const 100))))">>),
    Self = self(),
    Imports = #{<<"env">> => #{<<"add">> => fun(_Caller, [A, B]) -> [A + B] end,
                               <<"log">> => fun(Caller, [X]) ->
                                                    ok = wasmbeam:write_memory(Caller, 0, <<X:32/little>>),
                                                    Self ! {logged, self(), X},
                                                    []
                                            end}},
    {ok, I} = wasmbeam:instantiate(M, Imports),
    ?assertEqual({ok, [105]}, wasmbeam:call(I, run, [5])),
    %% The host fun ran in the calling process, and wrote the memory.
    receive {logged, Pid, 5} -> ?assertEqual(self(), Pid) after 1000 -> error(no_log) end,
    ?assertEqual({ok, <<5:32/little>>}, wasmbeam:read_memory(I, 0, 4)).

host_fun_errors_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (import \"env\" \"f\" (func $f (param i32) (result i32)))
        (func (export \"run\") (param i32) (result i32) (call $f (local.get 0))))">>),
    Raise = fun(_, [X]) -> error({bad_input, X}) end,
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => Raise}}),
    ?assertMatch({error, {host_error, error, {bad_input, 3}, [_ | _]}}, wasmbeam:call(I, run, [3])),
    {ok, I2} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => fun(_, _) -> throw(nope) end}}),
    ?assertMatch({error, {host_error, throw, nope, _}}, wasmbeam:call(I2, run, [3])),
    {ok, I3} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => fun(_, _) -> exit(gone) end}}),
    ?assertMatch({error, {host_error, exit, gone, _}}, wasmbeam:call(I3, run, [3])),
    %% Results of the wrong shape or type.
    lists:foreach(
      fun(Bad) ->
              {ok, Ib} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => fun(_, _) -> Bad end}}),
              ?assertMatch({error, {host_error, error, {bad_results, _}, []}}, wasmbeam:call(Ib, run, [1])),
              %% The instance is free again.
              ?assertMatch({error, {host_error, _, _, _}}, wasmbeam:call(Ib, run, [1]))
      end, [ok, [], [1, 2], [1.5], [<<"x">>], [1 bsl 40]]),
    %% After each failure the instance can be called again.
    {ok, I4} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => fun(_, [X]) when X > 0 -> [X] end}}),
    ?assertMatch({error, {host_error, error, function_clause, _}}, wasmbeam:call(I4, run, [0])),
    ?assertEqual({ok, [9]}, wasmbeam:call(I4, run, [9])).

reentrant_calls_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (import \"env\" \"back\" (func $back (param i32) (result i32)))
        (func $fact (export \"fact\") (param i32) (result i32)
          (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
            (then (i32.const 1))
            (else (i32.mul (local.get 0) (call $back (i32.sub (local.get 0) (i32.const 1)))))))
        (func (export \"boom\") (param i32) (result i32) unreachable))">>),
    %% fact(N) = N * back(N - 1), and back calls fact again through the
    %% instance: 10 nested activations, each suspended in a host fun.
    Back = fun(Caller, [N]) -> {ok, [R]} = wasmbeam:call(Caller, fact, [N]), [R] end,
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"back">> => Back}}),
    ?assertEqual({ok, [3628800]}, wasmbeam:call(I, fact, [10])),
    %% A re-entrant call that traps: the host fun sees the error term.
    TrapBack = fun(Caller, [N]) ->
                       {error, {trap, unreachable}} = wasmbeam:call(Caller, boom, [N]),
                       [N]
               end,
    {ok, I2} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"back">> => TrapBack}}),
    ?assertEqual({ok, [20]}, wasmbeam:call(I2, fact, [5])).

start_function_test() ->
    {ok, M} = wasmbeam:compile(<<"(module
        (import \"env\" \"init\" (func $init (result i32)))
        (global $g (export \"g\") (mut i32) (i32.const 0))
        (func $start (global.set $g (call $init)))
        (start $start))">>),
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"init">> => fun(_, []) -> [77] end}}),
    ?assertEqual({ok, 77}, wasmbeam:get_global(I, g)),
    ?assertMatch({error, {host_error, error, oops, _}},
                 wasmbeam:instantiate(M, #{<<"env">> => #{<<"init">> => fun(_, []) -> error(oops) end}})),
    {ok, Trapping} = wasmbeam:compile(<<"(module (func $s unreachable) (start $s))">>),
    ?assertEqual({error, {trap, unreachable}}, wasmbeam:instantiate(Trapping, #{})),
    {ok, Endless} = wasmbeam:compile(<<"(module (func $s (loop $l (br $l))) (start $s))">>),
    ?assertEqual({error, {trap, out_of_fuel}}, wasmbeam:instantiate(Endless, #{}, #{fuel_limit => 1000000})).

options_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (memory (export \"memory\") 4)
        (func (export \"spin\") (loop $l (br $l)))
        (func $d (export \"deep\") (param i32) (result i32)
          (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $d (i32.sub (local.get 0) (i32.const 1))))))))">>),
    ?assertMatch({error, {limit, _}}, wasmbeam:instantiate(M, #{}, #{memory_limit => 3 * 65536})),
    {ok, I} = wasmbeam:instantiate(M, #{}, #{memory_limit => 5 * 65536, fuel_limit => 100000,
                                             stack_limit => 64 * 1024}),
    ?assertEqual({ok, 4}, wasmbeam:grow_memory(I, 1)),
    ?assertMatch({error, {limit, _}}, wasmbeam:grow_memory(I, 1)),
    ?assertEqual({error, {trap, out_of_fuel}}, wasmbeam:call(I, spin, [])),
    ?assertEqual({error, timeout}, wasmbeam:call(I, spin, [], #{fuel_limit => infinity, timeout => 20})),
    ?assertEqual({ok, [100]}, wasmbeam:call(I, deep, [100])),
    ?assertEqual({error, {trap, call_stack_exhausted}}, wasmbeam:call(I, deep, [100000])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, #{}, #{color => blue})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, #{}, #{fuel_limit => 0})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, spin, [], #{timeout => soon})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, spin, [], [])).

link_errors_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (import \"env\" \"f\" (func)))">>),
    ?assertMatch({error, {link_error, _}}, wasmbeam:instantiate(M, #{})),
    ?assertMatch({error, {link_error, _}}, wasmbeam:instantiate(M, #{<<"env">> => #{}})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, #{<<"env">> => #{<<"f">> => fun() -> [] end}})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, #{env => #{f => fun(_, _) -> [] end}})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, not_a_map)),
    {ok, Mem} = wasmbeam:compile(<<"(module (import \"env\" \"mem\" (memory 1)))">>),
    ?assertMatch({error, {link_error, _}}, wasmbeam:instantiate(Mem, #{<<"env">> => #{}})).

timeout_counts_time_in_host_funs_test() ->
    {ok, M} = wasmbeam:compile(<<"(module (import \"env\" \"slow\" (func $slow))
        (func (export \"run\") (call $slow)))">>),
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"slow">> => fun(_, []) -> timer:sleep(50), [] end}}),
    ?assertEqual({ok, []}, wasmbeam:call(I, run, [], #{timeout => 1000})),
    ?assertEqual({error, timeout}, wasmbeam:call(I, run, [], #{timeout => 10})),
    ?assertEqual({ok, []}, wasmbeam:call(I, run, [])).
