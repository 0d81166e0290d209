%% Serialized modules: `wasmbeam:serialize/1' and `wasmbeam:deserialize/1'.
-module(wasmbeam_serialize_tests).

-include_lib("eunit/include/eunit.hrl").

-define(WAT, <<"(module
    (import \"env\" \"twice\" (func $twice (param i64) (result i64)))
    (type $unop (func (param i64) (result i64)))
    (table 1 funcref) (elem (i32.const 0) $square)
    (func $square (type $unop) (i64.mul (local.get 0) (local.get 0)))
    (func (export \"run\") (param i64) (result i64) (local $acc i64)
        (loop $l
            (local.set $acc (i64.add (local.get $acc)
                (call_indirect (type $unop) (call $twice (local.get 0)) (i32.const 0))))
            (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
            (br_if $l (i64.gt_s (local.get 0) (i64.const 0))))
        (local.get $acc)))">>).

imports() ->
    #{<<"env">> => #{<<"twice">> => fun(_Caller, [X]) -> [2 * X] end}}.

run(Module) ->
    {ok, Instance} = wasmbeam:instantiate(Module, imports()),
    wasmbeam:call(Instance, run, [10]).

a_loaded_module_runs_like_the_compiled_one_test() ->
    {ok, Module} = wasmbeam:compile(?WAT),
    {ok, Bytes} = wasmbeam:serialize(Module),
    ?assert(is_binary(Bytes)),
    {ok, Loaded} = wasmbeam:deserialize(Bytes),
    %% sum of (2k)^2 for k = 1..10
    ?assertEqual({ok, [1540]}, run(Module)),
    ?assertEqual({ok, [1540]}, run(Loaded)),
    ?assertEqual(wasmbeam:exports(Module), wasmbeam:exports(Loaded)),
    ?assertEqual(wasmbeam:imports(Module), wasmbeam:imports(Loaded)),
    %% Serializing the loaded module gives the same bytes.
    ?assertEqual({ok, Bytes}, wasmbeam:serialize(Loaded)).

damaged_truncated_and_foreign_bytes_are_refused_test() ->
    {ok, Module} = wasmbeam:compile(?WAT),
    {ok, Bytes} = wasmbeam:serialize(Module),
    Size = byte_size(Bytes),
    Refused = fun(B) ->
                      {error, {bad_argument, Message}} = wasmbeam:deserialize(B),
                      Message
              end,
    ?assertMatch(<<"cannot load the serialized module: damaged", _/binary>>,
                 Refused(flip(Bytes, Size - 3))),
    [?assertMatch(<<"cannot load the serialized module: ", _/binary>>, Refused(binary:part(Bytes, 0, N)))
     || N <- lists:seq(0, Size - 1, 97)],
    ?assertMatch(<<"cannot load the serialized module: not a", _/binary>>, Refused(<<"\0asm", 1, 0, 0, 0>>)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:deserialize(not_a_binary)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:serialize(not_a_module)).

a_large_module_round_trips_on_dirty_schedulers_test() ->
    %% Enough functions for well over 64 KiB of code.
    Funcs = [io_lib:format("(func (export \"f~b\") (param i32) (result i32)
                              (loop (br_if 0 (i32.eqz (local.get 0))))
                              (i32.add (local.get 0) (i32.const ~b)))", [I, I])
             || I <- lists:seq(1, 400)],
    {ok, Module} = wasmbeam:compile(iolist_to_binary(["(module ", Funcs, ")"])),
    {ok, Bytes} = wasmbeam:serialize(Module),
    ?assert(byte_size(Bytes) > 64 * 1024),
    {ok, Loaded} = wasmbeam:deserialize(Bytes),
    {ok, Instance} = wasmbeam:instantiate(Loaded, #{}),
    ?assertEqual({ok, [400 + 5]}, wasmbeam:call(Instance, <<"f400">>, [5])).

flip(Bytes, At) ->
    <<Before:At/binary, Byte, After/binary>> = Bytes,
    <<Before/binary, (Byte bxor 1), After/binary>>.
