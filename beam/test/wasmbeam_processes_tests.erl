%% EUnit tests of calls against the scheduler and processes: preemption
%% of endless loops, host funs that block, many suspended calls, busy
%% instances, and killing callers without leaking.
-module(wasmbeam_processes_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LOOPS, <<"(module
  (import \"env\" \"wait\" (func $wait (param i32) (result i32)))
  (func (export \"noop\"))
  (func (export \"spin\") (loop $l (br $l)))
  (func (export \"spin_and_call\") (param i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000000))))
    (call $wait (local.get 0)))
  (func (export \"run\") (param i32) (result i32)
    (i32.mul (call $wait (local.get 0)) (i32.const 2))))">>).

loops() ->
    {ok, M} = wasmbeam:compile(?LOOPS),
    M.

%% Imports whose `wait' blocks in `receive' until sent `{value, V}'.
waiting_imports(Parent) ->
    #{<<"env">> => #{<<"wait">> => fun(_Caller, [X]) ->
                                            Parent ! {waiting, self()},
                                            receive {value, V} -> [V + X] end
                                    end}}.

%% As many endless loops as schedulers: a ping-pong pair keeps going, no
%% call is scheduled for more than 20 ms over 5 s, and each looper can be
%% killed. A long_schedule event is wall-clock time, so on a machine whose
%% CPUs are overloaded the OS can stretch any slice; the 5 s window is
%% tried up to three times, and a call that held its scheduler would fail
%% every one.
endless_loops_do_not_hold_schedulers_test_() ->
    {timeout, 90, fun() ->
        M = loops(),
        Parent = self(),
        loopers_hold_no_scheduler(fun() ->
            {ok, I} = wasmbeam:instantiate(M, waiting_imports(Parent)),
            {I, spin, []}
        end)
    end}.

%% The same with endless tail recursion: two functions that `return_call'
%% each other forever, with no loop instruction, run in constant native
%% stack (a stack that grew would trap with call_stack_exhausted and end
%% the looper), yield like loops do and can be killed.
endless_tail_calls_do_not_hold_schedulers_test_() ->
    {timeout, 90, fun() ->
        {ok, M} = wasmbeam:compile(<<"(module
            (func $ping (export \"ping\") (param i64) (result i64)
              (return_call $pong (i64.add (local.get 0) (i64.const 1))))
            (func $pong (param i64) (result i64)
              (return_call $ping (local.get 0))))">>),
        loopers_hold_no_scheduler(fun() ->
            {ok, I} = wasmbeam:instantiate(M, #{}),
            {I, ping, [0]}
        end)
    end}.

%% As many processes as schedulers each make the endless call `Setup'
%% returns (run in the process): the VM reschedules them, none holds its
%% scheduler (see `clean_window'), none ends (a trap, say), and each can be
%% killed. The loopers are killed whatever the outcome, so that a failure
%% here does not leave them spinning through the next tests.
loopers_hold_no_scheduler(Setup) ->
    Parent = self(),
    N = erlang:system_info(schedulers_online),
    Loopers = [spawn(fun() ->
                             {I, Export, Args} = Setup(),
                             Parent ! {looping, self()},
                             Parent ! {ended, self(), wasmbeam:call(I, Export, Args)}
                     end) || _ <- lists:seq(1, N)],
    try
        [receive {looping, P} -> ok end || P <- Loopers],
        #{reschedules := Before} = wasmbeam:stats(),
        ok = clean_window(Loopers, 3),
        #{reschedules := After} = wasmbeam:stats(),
        ?assert(After - Before > 1000),
        [receive {ended, P, Outcome} -> ?assertEqual(running, Outcome) after 0 -> ok end || P <- Loopers],
        [?assert(is_process_alive(P)) || P <- Loopers]
    after
        kill_all(Loopers)
    end.

%% A 5 s window in which a ping-pong pair keeps exchanging messages while
%% the loopers spin, and the loopers' slices are short: no `long_schedule'
%% event (20 ms of wall-clock time) from a looper, no slice over 20 ms of
%% CPU time, and at most one slice in a thousand over 2 ms of it (most take
%% a fraction of a ms). Both clocks are the host's to stretch on a shared
%% machine (a virtual CPU taken away for a few ms still counts as the
%% thread's CPU time: a plain C spin loop sees such spikes here), so a
%% window that fails is tried again, up to `Attempts' windows in all; a
%% call that held its scheduler would fail every one.
clean_window(Loopers, Attempts) ->
    wasmbeam_nif:reset_longest_slice(),
    erlang:system_monitor(self(), [{long_schedule, 20}]),
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> ping(Pong, 0) end),
    timer:sleep(5000),
    erlang:system_monitor(undefined),
    Ping ! {stop, self()},
    RoundTrips = receive {round_trips, R} -> R after 5000 -> 0 end,
    exit(Pong, kill),
    Events = collect_long_schedules(),
    FromLoopers = [E || {monitor, Pid, long_schedule, _} = E <- Events, lists:member(Pid, Loopers)],
    %% The pair exchanged messages all along.
    ?assert(RoundTrips > 500),
    Stats = wasmbeam:stats(),
    Slices = slice_counts(Stats),
    case {FromLoopers, Slices} of
        {[], #{slices := All, over_2ms := Over, over_20ms := 0}} when All > 1000, Over * 1000 =< All -> ok;
        _ when Attempts > 1 -> clean_window(Loopers, Attempts - 1);
        _ -> ?assertEqual({[], #{}}, {FromLoopers, Stats})
    end.

%% How many slices `stats()' counted in all, and over 2 and 20 ms of CPU.
slice_counts(#{slices_by_cpu_us := Buckets}) ->
    Over = fun(Us) -> lists:sum([C || {Bound, C} <- Buckets, Bound =:= infinity orelse Bound > Us]) end,
    #{slices => lists:sum([C || {_, C} <- Buckets]), over_2ms => Over(2000), over_20ms => Over(20000)}.

pong() ->
    receive
        {ping, From} -> From ! pong, pong()
    end.

ping(Pong, Count) ->
    Pong ! {ping, self()},
    receive
        pong -> ping_or_stop(Pong, Count + 1)
    end.

ping_or_stop(Pong, Count) ->
    receive
        {stop, From} -> From ! {round_trips, Count}
    after 0 -> ping(Pong, Count)
    end.

collect_long_schedules() ->
    receive
        {monitor, _, long_schedule, _} = Event -> [Event | collect_long_schedules()]
    after 0 -> []
    end.

kill_all(Pids) ->
    Refs = [{erlang:monitor(process, P), P} || P <- Pids],
    [exit(P, kill) || P <- Pids],
    [receive {'DOWN', Ref, process, P, killed} -> ok after 5000 -> error({not_killed, P}) end
     || {Ref, P} <- Refs],
    ok.

%% 10,000 processes, each with its own instance suspended in a host fun
%% that waits in `receive'; all complete once messaged.
ten_thousand_suspended_calls_test_() ->
    {timeout, 120, fun() ->
        M = loops(),
        Parent = self(),
        Count = 10000,
        Pids = [spawn(fun() ->
                              {ok, I} = wasmbeam:instantiate(M, waiting_imports(Parent)),
                              Parent ! {done, self(), K, wasmbeam:call(I, run, [K])}
                      end) || K <- lists:seq(1, Count)],
        %% Every process is now blocked in its host fun.
        [receive {waiting, P} -> ok after 60000 -> error({not_waiting, P}) end || P <- Pids],
        #{calls := Suspended} = wasmbeam:stats(),
        ?assert(Suspended >= Count),
        [P ! {value, 1000} || P <- Pids],
        Results = collect_done(Count, #{}),
        ?assertEqual(Count, map_size(Results)),
        [?assertEqual({K, {ok, [(K + 1000) * 2]}}, {K, maps:get(K, Results)}) || K <- lists:seq(1, Count)]
    end}.

collect_done(0, Acc) ->
    Acc;
collect_done(N, Acc) ->
    receive {done, _, K, R} -> collect_done(N - 1, Acc#{K => R}) after 30000 -> error(timeout) end.

wait_until(Cond, Timeout) when Timeout =< 0 ->
    ?assert(Cond());
wait_until(Cond, Timeout) ->
    case Cond() of
        true -> ok;
        false -> timer:sleep(10), wait_until(Cond, Timeout - 10)
    end.

%% A second process gets `busy' while a call is running or suspended in a
%% host fun; the owner's own re-entrant calls are fine.
busy_instance_test_() ->
    {timeout, 30, fun() ->
        M = loops(),
        Parent = self(),
        {ok, I} = wasmbeam:instantiate(M, waiting_imports(Parent)),
        Caller = spawn(fun() -> Parent ! {result, wasmbeam:call(I, run, [1])} end),
        receive {waiting, Caller} -> ok after 5000 -> error(not_waiting) end,
        ?assertEqual({error, busy}, wasmbeam:call(I, run, [2])),
        %% Memory and globals stay readable meanwhile (this module has none).
        ?assertMatch({error, {bad_argument, _}}, wasmbeam:memory_size(I)),
        Caller ! {value, 10},
        receive {result, R} -> ?assertEqual({ok, [22]}, R) after 5000 -> error(no_result) end,
        %% Free again: a spinning caller makes it busy until it is killed.
        Spinner = spawn(fun() -> Parent ! {spinning, self()}, wasmbeam:call(I, spin, []) end),
        receive {spinning, Spinner} -> ok end,
        wait_until(fun() -> is_busy(I) end, 5000),
        kill_all([Spinner]),
        wait_until(fun() -> not is_busy(I) end, 5000)
    end}.

%% A call that returns at once tells whether the instance is busy.
is_busy(I) ->
    case wasmbeam:call(I, noop, []) of
        {error, busy} -> true;
        {ok, []} -> false
    end.

%% A host fun can do what any process does: here a gen_server call.
host_fun_calls_a_gen_server_test() ->
    M = loops(),
    {ok, Server} = gen_server:start_link(wasmbeam_test_server, 5, []),
    Imports = #{<<"env">> => #{<<"wait">> => fun(_, [X]) -> [gen_server:call(Server, {add, X})] end}},
    {ok, I} = wasmbeam:instantiate(M, Imports),
    ?assertEqual({ok, [16]}, wasmbeam:call(I, run, [3])),
    gen_server:stop(Server).

%% Killing callers mid-call 10,000 times leaves no call, instance or module
%% resource behind.
killing_callers_leaks_nothing_test_() ->
    {timeout, 300, fun() ->
        garbage_collect(),
        M = loops(),
        Baseline = wasmbeam:stats(),
        Parent = self(),
        %% Half suspended in a host fun, half running an endless loop on
        %% their own instance; a tenth of all on one shared instance.
        {ok, Shared} = wasmbeam:instantiate(M, waiting_imports(Parent)),
        lists:foreach(
          fun(K) ->
                  Mode = K rem 2,
                  Pid = spawn(fun() ->
                                      I = case K rem 10 of
                                              0 -> Shared;
                                              _ -> {ok, Own} = wasmbeam:instantiate(M, waiting_imports(Parent)),
                                                   Own
                                          end,
                                      Parent ! {calling, self()},
                                      case Mode of
                                          0 -> wasmbeam:call(I, run, [K]);
                                          1 -> wasmbeam:call(I, spin_and_call, [K])
                                      end
                              end),
                  receive {calling, Pid} -> ok end,
                  case Mode of
                      0 -> receive {waiting, Pid} -> ok after 5000 -> error({not_waiting, K}) end;
                      1 -> erlang:yield()
                  end,
                  kill_all([Pid]),
                  case K rem 10 of
                      0 -> wait_until(fun() -> not is_busy(Shared) end, 5000);
                      _ -> ok
                  end
          end, lists:seq(1, 10000)),
        flush(),
        garbage_collect(),
        #{modules := Modules, instances := Instances} = Baseline,
        %% No call left, and no more instances and modules than before
        %% (plus the shared instance); resources of earlier tests may be
        %% freed meanwhile, so fewer is fine.
        NoLeak = fun() ->
                         #{calls := C, instances := In, modules := Mo} = wasmbeam:stats(),
                         C =:= 0 andalso In =< Instances + 1 andalso Mo =< Modules
                 end,
        wait_until(NoLeak, 10000),
        ?assertMatch(#{calls := 0}, wasmbeam:stats()),
        %% The shared instance still works.
        Caller = spawn(fun() -> Parent ! {result, wasmbeam:call(Shared, run, [1])} end),
        receive {waiting, Caller} -> Caller ! {value, 1} after 5000 -> error(not_waiting) end,
        receive {result, R} -> ?assertEqual({ok, [4]}, R) after 5000 -> error(no_result) end
    end}.

flush() ->
    receive _ -> flush() after 0 -> ok end.
