%% Lazily compiled modules in the BEAM: functions compile on their first
%% call on a dirty CPU scheduler, never holding the caller's scheduler, and
%% a module shared by many processes compiles each function once.
-module(wasmbeam_lazy_tests).

-include_lib("eunit/include/eunit.hrl").

-define(FUNCTIONS, 30).
%% Statements per function: enough that each takes milliseconds to compile.
-define(STATEMENTS, 600).

%% `run(X)' calls each of ?FUNCTIONS functions, each a loop around a long
%% run of arithmetic, and sums their results.
wat() ->
    Funcs = [function(I) || I <- lists:seq(1, ?FUNCTIONS)],
    Calls = [io_lib:format("(local.set 1 (i32.add (local.get 1) (call $f~b (local.get 0))))", [I])
             || I <- lists:seq(1, ?FUNCTIONS)],
    iolist_to_binary(["(module ", Funcs,
                      "(func (export \"run\") (param i32) (result i32) (local i32) ", Calls,
                      " (local.get 1)))"]).

function(I) ->
    Statements = [io_lib:format("(local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 31))"
                                " (i32.xor (local.get 0) (i32.const ~b))))", [I * 1000 + K])
                  || K <- lists:seq(1, ?STATEMENTS)],
    io_lib:format("(func $f~b (param i32) (result i32) (local i32 i32)
                     (loop $l ~s
                       (local.set 2 (i32.add (local.get 2) (i32.const 1)))
                       (br_if $l (i32.lt_u (local.get 2) (i32.const 3))))
                     (local.get 1))", [I, Statements]).

expected(X) ->
    {ok, Eager} = wasmbeam:compile(wat(), #{lazy => false}),
    {ok, Instance} = wasmbeam:instantiate(Eager, #{}),
    {ok, [Result]} = wasmbeam:call(Instance, run, [X]),
    Result.

first_calls_compile_on_dirty_schedulers_test_() ->
    {timeout, 120, fun first_calls_compile_on_dirty_schedulers/0}.

first_calls_compile_on_dirty_schedulers() ->
    Expected = expected(7),
    {ok, Module} = wasmbeam:compile(wat(), #{lazy => true}),
    {ok, Instance} = wasmbeam:instantiate(Module, #{}),
    Self = self(),
    Caller = spawn_link(fun() ->
                                receive go -> ok end,
                                Self ! {result, self(), wasmbeam:call(Instance, run, [7])}
                        end),
    erlang:system_monitor(self(), [{long_schedule, 2}]),
    Caller ! go,
    Result = receive {result, Caller, R} -> R after 60000 -> timeout end,
    erlang:system_monitor(undefined),
    ?assertEqual({ok, [Expected]}, Result),
    Long = [Info || {monitor, Pid, long_schedule, Info} <- flush(), Pid =:= Caller],
    ?assertEqual([], Long),
    %% Compiled now: the second call runs the same code.
    ?assertEqual({ok, [Expected]}, wasmbeam:call(Instance, run, [7])).

a_hundred_processes_share_one_lazy_module_test_() ->
    {timeout, 120, fun a_hundred_processes_share_one_lazy_module/0}.

a_hundred_processes_share_one_lazy_module() ->
    Expected = [{X, expected(X)} || X <- lists:seq(1, 5)],
    {ok, Module} = wasmbeam:compile(wat(), #{lazy => true}),
    Self = self(),
    Pids = [spawn_link(fun() ->
                               X = N rem 5 + 1,
                               {ok, Instance} = wasmbeam:instantiate(Module, #{}),
                               receive go -> ok end,
                               Self ! {done, self(), X, wasmbeam:call(Instance, run, [X])}
                       end)
            || N <- lists:seq(1, 100)],
    [Pid ! go || Pid <- Pids],
    Results = [receive {done, Pid, X, R} -> {X, R} after 60000 -> {Pid, timeout} end || Pid <- Pids],
    [?assertEqual({ok, [proplists:get_value(X, Expected)]}, R) || {X, R} <- Results].

options_are_checked_test() ->
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:compile(<<"(module)">>, #{lazy => maybe})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:compile(<<"(module)">>, not_a_map)),
    ?assertMatch({ok, _}, wasmbeam:compile(<<"(module)">>, #{lazy => true})).

flush() ->
    receive Message -> [Message | flush()] after 0 -> [] end.
