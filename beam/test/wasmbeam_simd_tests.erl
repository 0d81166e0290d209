%% EUnit: `v128' values through the Erlang API, as 16-byte binaries in
%% memory order: arguments and results, a host fun receiving and returning
%% vectors (while the call is rescheduled), globals, exception payloads,
%% and the errors for what is not a 16-byte binary.
-module(wasmbeam_simd_tests).

-include_lib("eunit/include/eunit.hrl").

-define(SIMD, <<"(module
  (import \"env\" \"mix\" (func $mix (param v128 i32) (result v128)))
  (global (export \"g\") (mut v128) (v128.const i32x4 1 2 3 4))
  (tag $t (export \"t\") (param v128 i32))

  (func (export \"add\") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export \"lanes\") (param v128) (result i32 i64 f32)
    (i8x16.extract_lane_u 15 (local.get 0))
    (i64x2.extract_lane 0 (local.get 0))
    (f32x4.extract_lane 2 (local.get 0)))
  (func (export \"splat\") (param i32) (result v128) (i16x8.splat (local.get 0)))
  (func (export \"throw\") (param v128) (throw $t (local.get 0) (i32.const 9)))

  ;; Calls the host fun N times, each time with the vector so far, after
  ;; a busy loop long enough to be rescheduled: the vector lives in the
  ;; saved frames across both.
  (func (export \"fold\") (param $v v128) (param $n i32) (result v128) (local $i i32) (local $spin i32)
    (loop $l
      (local.set $spin (i32.const 2000000))
      (loop $busy (br_if $busy (local.tee $spin (i32.sub (local.get $spin) (i32.const 1)))))
      (local.set $v (call $mix (local.get $v) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $v)))">>).

%% Four little-endian i32 lanes as a v128 binary.
i32x4(A, B, C, D) -> <<A:32/little-signed, B:32/little-signed, C:32/little-signed, D:32/little-signed>>.

instance(Mix) ->
    {ok, M} = wasmbeam:compile(?SIMD),
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"mix">> => Mix}}),
    I.

instance() ->
    instance(fun(_, [V, _]) -> [V] end).

arguments_and_results_are_16_byte_binaries_test() ->
    I = instance(),
    ?assertEqual({ok, [i32x4(11, 22, -1, 0)]}, wasmbeam:call(I, add, [i32x4(10, 20, 1, -1), i32x4(1, 2, -2, 1)])),
    Bytes = <<0:64/little, 16#3FC00000:32/little, 0:24, 16#AB:8>>,
    ?assertEqual({ok, [16#AB, 0, 1.5]}, wasmbeam:call(I, lanes, [Bytes])),
    ?assertEqual({ok, [binary:copy(<<16#FFFF:16>>, 8)]}, wasmbeam:call(I, splat, [-1])).

exports_name_the_type_test() ->
    {ok, M} = wasmbeam:compile(?SIMD),
    {ok, Exports} = wasmbeam:exports(M),
    ?assertEqual({function, [v128, v128], [v128]}, proplists:get_value(<<"add">>, Exports)),
    ?assertEqual({global, #{type => v128, mutable => true}}, proplists:get_value(<<"g">>, Exports)),
    ?assertEqual({tag, [v128, i32]}, proplists:get_value(<<"t">>, Exports)).

a_host_fun_receives_and_returns_vectors_test() ->
    Self = self(),
    %% Adds 1 to every i32 lane and reports what it saw.
    Mix = fun(_, [<<A:32/little, B:32/little, C:32/little, D:32/little>> = V, N]) ->
                  Self ! {seen, N, V},
                  [i32x4(A + 1, B + 1, C + 1, D + N)]
          end,
    I = instance(Mix),
    #{reschedules := Before} = wasmbeam:stats(),
    ?assertEqual({ok, [i32x4(5, 6, 7, 8 + 0 + 1 + 2 + 3 + 4)]}, wasmbeam:call(I, fold, [i32x4(0, 1, 2, 8), 5])),
    #{reschedules := After} = wasmbeam:stats(),
    ?assert(After > Before),
    Seen = [receive {seen, N, V} -> {N, V} after 0 -> missing end || _ <- lists:seq(0, 4)],
    ?assertEqual([{0, i32x4(0, 1, 2, 8)}, {1, i32x4(1, 2, 3, 8)}, {2, i32x4(2, 3, 4, 9)},
                  {3, i32x4(3, 4, 5, 11)}, {4, i32x4(4, 5, 6, 14)}], Seen).

a_host_fun_returning_no_vector_is_an_error_test() ->
    I = instance(fun(_, _) -> [<<1, 2, 3>>] end),
    {error, {host_error, error, {bad_results, _}, _}} = wasmbeam:call(I, fold, [i32x4(0, 0, 0, 0), 1]).

globals_hold_vectors_test() ->
    I = instance(),
    ?assertEqual({ok, i32x4(1, 2, 3, 4)}, wasmbeam:get_global(I, g)),
    ?assertEqual(ok, wasmbeam:set_global(I, g, i32x4(-1, 0, 0, 7))),
    ?assertEqual({ok, i32x4(-1, 0, 0, 7)}, wasmbeam:get_global(I, g)),
    {error, {bad_argument, _}} = wasmbeam:set_global(I, g, 5).

exception_payloads_carry_vectors_test() ->
    I = instance(),
    V = i32x4(1, -2, 3, -4),
    ?assertEqual({error, {exception, #{tag => <<"t">>, payload => [V, 9]}}}, wasmbeam:call(I, throw, [V])).

wrong_arguments_are_bad_arguments_test() ->
    I = instance(),
    lists:foreach(
      fun(Bad) -> {error, {bad_argument, _}} = wasmbeam:call(I, add, [Bad, i32x4(0, 0, 0, 0)]) end,
      [1, 1.0, null, <<1, 2, 3>>, binary:copy(<<0>>, 17), <<0:127>>, [], {v128, <<0:128>>}]).
