%% The demo: a WebAssembly program that counts primes, calling an Erlang
%% function to report its progress, runs in the BEAM next to a process
%% that ticks every 100 ms. The VM runs with a single scheduler, so the
%% ticks only appear because the WebAssembly call is preempted: it runs in
%% slices of about a millisecond and gives the scheduler back in between.
-module(wasmbeam_demo).

-export([main/0]).

main() ->
    Schedulers = erlang:system_info(schedulers_online),
    io:format("wasmbeam demo: OTP ~s, ~b scheduler(s)~n", [erlang:system_info(otp_release), Schedulers]),
    Dir = filename:dirname(code:which(?MODULE)),
    {ok, Wat} = file:read_file(filename:join(Dir, "primes.wat")),
    {ok, Module} = wasmbeam:compile(Wat),
    {ok, Exports} = wasmbeam:exports(Module),
    {ok, Imports} = wasmbeam:imports(Module),
    io:format("compiled primes.wat: imports ~0p, exports ~0p~n", [Imports, Exports]),
    Host = self(),
    Progress = fun(_Caller, [N, Count]) ->
                       %% Runs in the calling process, synchronously.
                       io:format("  [erlang] host fun: ~b primes below ~b~n", [Count, N]),
                       Host = self(),
                       [1]
               end,
    {ok, Instance} = wasmbeam:instantiate(Module, #{<<"env">> => #{<<"progress">> => Progress}}),
    Ticker = spawn_link(fun() -> tick(0) end),
    Limit = 3000000,
    Begin = erlang:monotonic_time(millisecond),
    #{reschedules := R0} = wasmbeam:stats(),
    {ok, [Primes]} = wasmbeam:call(Instance, count_primes, [Limit, 500000]),
    Elapsed = erlang:monotonic_time(millisecond) - Begin,
    Ticker ! {stop, self()},
    Ticks = receive {ticks, T} -> T end,
    #{reschedules := R1, longest_slice_us := Longest, longest_slice_cpu_us := LongestCpu} = wasmbeam:stats(),
    io:format("~b primes below ~b, in ~b ms~n", [Primes, Limit, Elapsed]),
    io:format("meanwhile the ticker ticked ~b times; the call gave its scheduler back ~b times, "
              "its longest slice ran ~b us (~b us of CPU time)~n", [Ticks, R1 - R0, Longest, LongestCpu]),
    %% The same count, smaller, in Erlang.
    {ok, [Small]} = wasmbeam:call(Instance, count_primes, [30000, 1000000]),
    Small = length([N || N <- lists:seq(2, 29999), is_prime(N)]),
    io:format("check: ~b primes below 30000, as Erlang counts them~n", [Small]),
    ok.

is_prime(N) -> is_prime(N, 2).
is_prime(N, D) when D * D > N -> true;
is_prime(N, D) when N rem D =:= 0 -> false;
is_prime(N, D) -> is_prime(N, D + 1).

tick(Count) ->
    receive
        {stop, From} -> From ! {ticks, Count}
    after 100 ->
        io:format("  [ticker] tick ~b~n", [Count + 1]),
        tick(Count + 1)
    end.
