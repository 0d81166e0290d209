%% EUnit tests: hostile and malformed input gets error terms, never a crash.
-module(wasmbeam_hostile_tests).

-include_lib("eunit/include/eunit.hrl").

valid_module() ->
    <<"(module (memory (export \"memory\") 1)
        (func (export \"f\") (param i32 i64 f32 f64) (result i32) (local.get 0))
        (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))">>.

random_bytes_are_invalid_modules_test_() ->
    {timeout, 120, fun() ->
        rand:seed(exsss, {1, 2, 3}),
        {ok, Valid} = wasmbeam:compile(valid_module()),
        ok = check_random(2000),
        %% Mutations of a valid binary module: most are invalid, some valid.
        Binary = binary_module(),
        Results = [wasmbeam:compile(mutate(Binary)) || _ <- lists:seq(1, 3000)],
        lists:foreach(fun({ok, _}) -> ok;
                         ({error, {invalid_module, Message}}) when is_binary(Message) -> ok
                      end, Results),
        ?assert(lists:any(fun(R) -> element(1, R) =:= error end, Results)),
        {ok, _} = wasmbeam:instantiate(Valid, #{})
    end}.

check_random(0) -> ok;
check_random(N) ->
    Size = rand:uniform(200),
    Bytes = case N rem 2 of
                0 -> crypto:strong_rand_bytes(Size);
                1 -> <<0, "asm", 1, 0, 0, 0, (crypto:strong_rand_bytes(Size))/binary>>
            end,
    case wasmbeam:compile(Bytes) of
        {error, {invalid_module, Message}} when is_binary(Message) -> ok;
        {ok, _} -> ok
    end,
    check_random(N - 1).

binary_module() ->
    %% (module (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    %%         (memory 1) (data (i32.const 0) "hi"))
    <<0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,5,3,1,0,1,7,5,1,1,102,0,0,
      10,9,1,7,0,32,0,65,1,106,11,11,8,1,0,65,0,11,2,104,105>>.

mutate(Binary) ->
    Pos = rand:uniform(byte_size(Binary)) - 1,
    <<Before:Pos/binary, _, After/binary>> = Binary,
    case rand:uniform(3) of
        1 -> <<Before/binary, (rand:uniform(256) - 1), After/binary>>;
        2 -> <<Before/binary, After/binary>>;
        3 -> <<Before/binary, (rand:uniform(256) - 1), (rand:uniform(256) - 1), After/binary>>
    end.

bad_text_and_terms_test() ->
    ?assertMatch({error, {invalid_module, _}}, wasmbeam:compile(<<"(module (func (result i32)))">>)),
    ?assertMatch({error, {invalid_module, _}}, wasmbeam:compile(<<"(modul">>)),
    ?assertMatch({error, {invalid_module, _}}, wasmbeam:compile(<<255, 254, 0, 1>>)),
    ?assertMatch({error, {invalid_module, _}}, wasmbeam:compile(<<>>)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:compile(42)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:compile([foo])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:exports(make_ref())),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(<<"not a module">>, #{})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(self(), f, [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(make_ref(), 0, 1)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:memory_size(foo)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:get_global(foo, g)).

deeply_nested_text_test_() ->
    {timeout, 60, fun() ->
        Depth = 100000,
        Text = iolist_to_binary(["(module (func ", lists:duplicate(Depth, "(block "),
                                 lists:duplicate(Depth, ")"), "))"]),
        case wasmbeam:compile(Text) of
            {ok, _} -> ok;
            {error, {invalid_module, _}} -> ok
        end
    end}.

wrong_arguments_test() ->
    {ok, M} = wasmbeam:compile(valid_module()),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual({ok, [1]}, wasmbeam:call(I, f, [1, 2, 3.0, 4.0])),
    Bad = [[], [1], [1, 2, 3.0, 4.0, 5], [1.5, 2, 3.0, 4.0], [1 bsl 32, 2, 3.0, 4.0],
           [-(1 bsl 31) - 1, 2, 3.0, 4.0], [1, 1 bsl 64, 3.0, 4.0], [1, 2, "x", 4.0],
           [1, 2, 3.0, <<>>], [a, 2, 3.0, 4.0], [{1}, 2, 3.0, 4.0], [1, 2, 3.0, self()]],
    lists:foreach(fun(Args) ->
                          ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, f, Args))
                  end, Bad),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, f, not_a_list)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, [1, 2 | 3], [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, missing, [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, <<"memory">>, [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, 42, [])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, <<255>>, [])),
    %% Still fine afterwards.
    ?assertEqual({ok, [7]}, wasmbeam:call(I, f, [7, 0, 0, 0])).

huge_allocations_test() ->
    {ok, Huge} = wasmbeam:compile(<<"(module (memory 65536))">>),
    ?assertMatch({error, {limit, _}}, wasmbeam:instantiate(Huge, #{})),
    {ok, HugeTable} = wasmbeam:compile(<<"(module (table 100000000 funcref))">>),
    ?assertMatch({error, {limit, _}}, wasmbeam:instantiate(HugeTable, #{})),
    {ok, M} = wasmbeam:compile(valid_module()),
    {ok, I} = wasmbeam:instantiate(M, #{}),
    ?assertEqual({ok, [-1]}, wasmbeam:call(I, grow, [65535])),
    ?assertEqual({ok, [-1]}, wasmbeam:call(I, grow, [-1])),
    ?assertMatch({error, {limit, _}}, wasmbeam:grow_memory(I, 1 bsl 40)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:grow_memory(I, -1)),
    ?assertMatch({error, {limit, _}}, wasmbeam:read_memory(I, 0, 1 bsl 40)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:read_memory(I, 0, 1 bsl 20)),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:instantiate(M, #{}, #{memory_limit => -1})),
    ?assertEqual({ok, 65536}, wasmbeam:memory_size(I)).
