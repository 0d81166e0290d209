%% Benchmarks of the BEAM binding, printed as one table from one run:
%% - a host call round trip (WebAssembly -> Erlang fun -> WebAssembly)
%%   against a plain Erlang fun call and a no-op NIF call;
%% - a trivial export call from Erlang;
%% - the longest slice a call ran while endless loops spun on every
%%   scheduler;
%% - the memory one suspended call holds.
%%
%% Run with `make -C beam bench` (release build of the NIF). Every timing
%% is a per-iteration difference of erlang:monotonic_time(nanosecond) read
%% in the same place of each iteration, so the clock read is in every
%% figure alike.
-module(wasmbeam_bench).

-export([main/0]).

-define(SAMPLES, 400000).
-define(ROUNDS, 40).

-define(WAT, <<"(module
  (import \"env\" \"tick\" (func $tick (param i32)))
  (func (export \"noop\"))
  (func (export \"loop_host\") (param $n i32)
    (local $i i32)
    (loop $l
      (call $tick (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (func (export \"spin\") (loop $l (br $l)))
  (func $deep (export \"deep\") (param $n i32)
    (if (i32.eqz (local.get $n)) (then (call $tick (i32.const 0)))
      (else (call $deep (i32.sub (local.get $n) (i32.const 1)))))))">>).

main() ->
    io:format("wasmbeam BEAM binding benchmarks: OTP ~s, ~b schedulers, ~b samples each in ~b interleaved rounds~n~n",
              [erlang:system_info(otp_release), erlang:system_info(schedulers_online), ?SAMPLES, ?ROUNDS]),
    {ok, Module} = wasmbeam:compile(?WAT),
    %% The four measurements take turns, ?ROUNDS rounds of ?SAMPLES div
    %% ?ROUNDS samples each, so that the machine's moods reach all of them
    %% alike and their ratios hold.
    Tick = fun(_Caller, [_]) -> put(t, [erlang:monotonic_time(nanosecond) | get(t)]), [] end,
    {ok, Host} = wasmbeam:instantiate(Module, #{<<"env">> => #{<<"tick">> => Tick}}),
    {ok, Plain} = wasmbeam:instantiate(Module, #{<<"env">> => #{<<"tick">> => fun(_, _) -> [] end}}),
    Per = ?SAMPLES div ?ROUNDS,
    Rounds = [{host_round_trip(Host, Per), plain_fun(Per), noop_nif(Per), export_call(Plain, Per)}
              || _ <- lists:seq(1, ?ROUNDS)],
    RoundTrip = stats(lists:append([R || {R, _, _, _} <- Rounds])),
    Fun = stats(lists:append([F || {_, F, _, _} <- Rounds])),
    Nif = stats(lists:append([N || {_, _, N, _} <- Rounds])),
    Export = stats(lists:append([E || {_, _, _, E} <- Rounds])),
    Rows = [{"host call round trip (Wasm -> Erlang fun -> Wasm)", RoundTrip},
            {"plain Erlang fun call", Fun},
            {"no-op NIF call", Nif},
            {"trivial export call from Erlang (wasmbeam:call/3)", Export}],
    io:format("~-52s ~10s ~10s~n", ["", "median ns", "p99 ns"]),
    [io:format("~-52s ~10b ~10b~n", [Name, Median, P99]) || {Name, {Median, P99}} <- Rows],
    {RtMedian, _} = RoundTrip,
    {NifMedian, _} = Nif,
    {ExportMedian, _} = Export,
    io:format("~nexport call / no-op NIF: ~.1fx (goal <= 2x); round trip / no-op NIF: ~.1fx (goal <= 3x)~n",
              [ExportMedian / NifMedian, RtMedian / NifMedian]),
    {Longest, LongestCpu, Reschedules, Buckets} = longest_slice(Module),
    io:format("slices while spinning on every scheduler for 3 s (~b reschedules): longest ~b us wall clock, "
              "~b us CPU time; CPU time of 99% of slices < ~s us, of 99.9% < ~s us~n",
              [Reschedules, Longest, LongestCpu, percentile(Buckets, 0.99), percentile(Buckets, 0.999)]),
    suspended_call_memory(Module),
    ok.

%% The host fun records the time of each call; consecutive differences are
%% one round trip through WebAssembly's loop back into the fun.
host_round_trip(I, N) ->
    put(t, []),
    {ok, []} = wasmbeam:call(I, loop_host, [N + 1]),
    diffs(lists:reverse(erase(t))).

plain_fun(N) ->
    F = fun(X) -> X end,
    diffs(fun_loop(F, N + 1, [])).

fun_loop(_, 0, Acc) -> lists:reverse(Acc);
fun_loop(F, N, Acc) ->
    T = erlang:monotonic_time(nanosecond),
    _ = F(N),
    fun_loop(F, N - 1, [T | Acc]).

noop_nif(N) ->
    diffs(nif_loop(N + 1, [])).

nif_loop(0, Acc) -> lists:reverse(Acc);
nif_loop(N, Acc) ->
    T = erlang:monotonic_time(nanosecond),
    ok = wasmbeam_nif:noop(),
    nif_loop(N - 1, [T | Acc]).

export_call(I, N) ->
    diffs(export_loop(I, N + 1, [])).

export_loop(_, 0, Acc) -> lists:reverse(Acc);
export_loop(I, N, Acc) ->
    T = erlang:monotonic_time(nanosecond),
    {ok, []} = wasmbeam:call(I, noop, []),
    export_loop(I, N - 1, [T | Acc]).

diffs([A, B | Rest]) -> [B - A | diffs([B | Rest])];
diffs(_) -> [].

stats(Samples) ->
    Sorted = lists:sort(Samples),
    N = length(Sorted),
    {lists:nth(max(1, N div 2), Sorted), lists:nth(max(1, (N * 99) div 100), Sorted)}.

longest_slice(Module) ->
    N = erlang:system_info(schedulers_online),
    Parent = self(),
    Spinners = [spawn(fun() ->
                              {ok, I} = wasmbeam:instantiate(Module, #{<<"env">> => #{<<"tick">> => fun(_, _) -> [] end}}),
                              Parent ! {spinning, self()},
                              wasmbeam:call(I, spin, [])
                      end) || _ <- lists:seq(1, N)],
    [receive {spinning, P} -> ok end || P <- Spinners],
    timer:sleep(200),
    #{reschedules := R0} = wasmbeam:stats(),
    wasmbeam_nif:reset_longest_slice(),
    timer:sleep(3000),
    #{longest_slice_us := Longest, longest_slice_cpu_us := LongestCpu, reschedules := R1,
      slices_by_cpu_us := Buckets} = wasmbeam:stats(),
    [exit(P, kill) || P <- Spinners],
    {Longest, LongestCpu, R1 - R0, Buckets}.

%% The bound of the histogram's bucket in which the slice at fraction `F'
%% of all (by CPU time) falls.
percentile(Buckets, F) ->
    All = lists:sum([C || {_, C} <- Buckets]),
    percentile(Buckets, F * All, 0).

percentile([{Bound, _}], _, _) -> bound(Bound);
percentile([{Bound, C} | _], Rank, Below) when Below + C >= Rank -> bound(Bound);
percentile([{_, C} | Rest], Rank, Below) -> percentile(Rest, Rank, Below + C).

bound(infinity) -> "infinity";
bound(Us) -> integer_to_list(Us).

%% One call suspended in a host fun, at depth 1 and 100: the NIF's share
%% (resource, call, saved frames) and, over 10,000 such calls each in its
%% own process with its own instance, the growth of the VM's memory.
suspended_call_memory(Module) ->
    Parent = self(),
    Hold = fun(_Caller, [_]) -> Parent ! {held, self()}, receive release -> [] end end,
    Imports = #{<<"env">> => #{<<"tick">> => Hold}},
    [begin
         {ok, I} = wasmbeam:instantiate(Module, Imports),
         {host_call, Call, _, _} = wasmbeam_nif:call(I, deep, [Depth], #{}),
         {ok, Bytes} = wasmbeam_nif:call_memory(Call),
         io:format("one suspended call at depth ~b: ~b bytes in the NIF (resource, call, saved frames)~n",
                   [Depth, Bytes]),
         wasmbeam_nif:abort(Call)
     end || Depth <- [1, 100]],
    Count = 10000,
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    RssBefore = rss(),
    Pids = [spawn(fun() ->
                          {ok, I} = wasmbeam:instantiate(Module, Imports),
                          wasmbeam:call(I, deep, [1])
                  end) || _ <- lists:seq(1, Count)],
    [receive {held, P} -> ok end || P <- Pids],
    After = erlang:memory(total),
    RssAfter = rss(),
    io:format("~b processes, each with its own instance and a call suspended in a host fun: "
              "VM memory +~b bytes each, process RSS +~b bytes each~n",
              [Count, (After - Before) div Count, (RssAfter - RssBefore) div Count]),
    [P ! release || P <- Pids],
    ok.

%% Resident set size of the VM, in bytes (Linux).
rss() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Kb | _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb) * 1024.
