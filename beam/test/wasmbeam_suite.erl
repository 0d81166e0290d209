%% Runs the EUnit tests, then checks what no single test can: that no test
%% met an `{internal_error, _}' reason other than the faults injected on
%% purpose (`wasmbeam_nif:fault/1', counted by the NIF).
-module(wasmbeam_suite).

-export([run/1]).

-spec run([module()]) -> no_return().
run(Modules) ->
    Result = eunit:test(Modules, [verbose]),
    #{internal_errors := Errors, injected_faults := Faults} = wasmbeam:stats(),
    io:format("internal errors: ~b, injected faults: ~b~n", [Errors, Faults]),
    case {Result, Errors =< Faults} of
        {ok, true} ->
            halt(0);
        {ok, false} ->
            io:format("FAILED: ~b internal error(s) that no test injected~n", [Errors - Faults]),
            halt(1);
        _ ->
            halt(1)
    end.
