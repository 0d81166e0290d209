%% EUnit: WebAssembly exception handling through the Erlang API. Uncaught
%% exceptions as `{error, {exception, #{tag, payload}}}', exceptions caught
%% inside WebAssembly, host funs that throw (by tag name, or passing on
%% what a nested call threw), `exnref' values, and tags in `exports/1'.
-module(wasmbeam_exceptions_tests).

-include_lib("eunit/include/eunit.hrl").

-define(EXN, <<"(module
  (import \"env\" \"host\" (func $host (param i32) (result i32)))
  (tag $e (export \"e\") (param i32))
  (tag $many (export \"many\") (param i64 f32 f64 externref))
  (tag $hidden (param i32))
  (tag $empty (export \"empty\"))
  (global (export \"last\") (mut exnref) (ref.null exn))

  (func $throw (export \"throw\") (param i32) (result i32) (throw $e (local.get 0)))
  (func (export \"throw_many\") (param i64 f32 f64 externref)
    (throw $many (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func $throw_hidden (export \"throw_hidden\") (param i32) (throw $hidden (local.get 0)))
  (func (export \"throw_empty\") (throw $empty))

  ;; Catches $e thrown two calls down: returns 1000 + its payload.
  (func $deeper (param i32) (result i32) (call $throw (local.get 0)))
  (func (export \"caught\") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $deeper (local.get 0)))
      (return))
    (i32.add (i32.const 1000)))
  ;; Catches anything: 1 if something was thrown, else 0.
  (func (export \"caught_all\") (param i32) (result i32)
    (block $h
      (try_table (catch_all $h) (call $throw_hidden (local.get 0)))
      (return (i32.const 0)))
    (i32.const 1))

  ;; Calls the host fun, catching $e (2000 + payload) and $hidden
  ;; (3000 + payload); returns the host fun's result otherwise.
  (func (export \"via_host\") (param i32) (result i32)
    (block $hidden_h (result i32)
      (block $e_h (result i32)
        (try_table (result i32) (catch $e $e_h) (catch $hidden $hidden_h)
          (call $host (local.get 0)))
        (return))
      (return (i32.add (i32.const 2000))))
    (i32.add (i32.const 3000)))
  ;; Calls the host fun with no handler around it.
  (func (export \"host_unguarded\") (param i32) (result i32) (call $host (local.get 0)))

  ;; Spins long enough to be rescheduled, then throws; the caller catches.
  (func $spin_throw (param i32) (result i32) (local $n i32)
    (local.set $n (local.get 0))
    (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (throw $e (i32.const 7)))
  (func (export \"spin_caught\") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $spin_throw (local.get 0)))
      (return))
    (i32.add (i32.const 100)))
  (func (export \"spin_uncaught\") (param i32) (result i32) (call $spin_throw (local.get 0)))

  ;; The exnref of a caught $e, kept in the global `last' too.
  (func (export \"catch_ref\") (param i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (drop (call $throw (local.get 0))))
      (return (ref.null exn)))
    (global.set 0)
    (global.get 0))
  (func (export \"rethrow\") (param exnref) (throw_ref (local.get 0))))">>).

instance(Host) ->
    {ok, M} = wasmbeam:compile(?EXN),
    {ok, I} = wasmbeam:instantiate(M, #{<<"env">> => #{<<"host">> => Host}}),
    I.

instance() ->
    instance(fun(_, [X]) -> [X] end).

exports_list_tags_test() ->
    {ok, M} = wasmbeam:compile(?EXN),
    {ok, Exports} = wasmbeam:exports(M),
    ?assertEqual({tag, [i32]}, proplists:get_value(<<"e">>, Exports)),
    ?assertEqual({tag, [i64, f32, f64, externref]}, proplists:get_value(<<"many">>, Exports)),
    ?assertEqual({tag, []}, proplists:get_value(<<"empty">>, Exports)),
    ?assertEqual({global, #{type => exnref, mutable => true}}, proplists:get_value(<<"last">>, Exports)),
    ?assertEqual({function, [exnref], []}, proplists:get_value(<<"rethrow">>, Exports)),
    %% An imported tag is listed; Erlang cannot supply one.
    {ok, Imp} = wasmbeam:compile(<<"(module (import \"env\" \"t\" (tag (param i64))))">>),
    ?assertEqual({ok, [{<<"env">>, <<"t">>, {tag, [i64]}}]}, wasmbeam:imports(Imp)),
    {error, {link_error, Message}} = wasmbeam:instantiate(Imp, #{}),
    ?assertNotEqual(nomatch, binary:match(Message, <<"is a tag">>)).

uncaught_exceptions_are_errors_test() ->
    I = instance(),
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [42]}}}, wasmbeam:call(I, throw, [42])),
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [-1]}}},
                 wasmbeam:call(I, throw, [16#FFFFFFFF])),
    ?assertEqual({error, {exception, #{tag => <<"many">>, payload => [-5, 1.5, infinity, {externref, 9}]}}},
                 wasmbeam:call(I, throw_many, [-5, 1.5, infinity, {externref, 9}])),
    ?assertEqual({error, {exception, #{tag => <<"empty">>, payload => []}}}, wasmbeam:call(I, throw_empty, [])),
    %% A tag the instance does not export is an opaque reference.
    {error, {exception, #{tag := Hidden, payload := [3]}}} = wasmbeam:call(I, throw_hidden, [3]),
    ?assert(is_reference(Hidden)),
    %% The instance is free and usable again.
    ?assertEqual({ok, [1005]}, wasmbeam:call(I, caught, [5])).

uncaught_exceptions_are_described_test() ->
    I = instance(),
    {error, Named} = wasmbeam:call(I, throw, [42]),
    ?assertEqual(<<"uncaught WebAssembly exception: tag \"e\", payload [42]">>, wasmbeam:format_error(Named)),
    {error, Hidden} = wasmbeam:call(I, throw_hidden, [3]),
    ?assertEqual(<<"uncaught WebAssembly exception: a tag the instance does not export, payload [3]">>,
                 wasmbeam:format_error(Hidden)).

caught_exceptions_return_normally_test() ->
    I = instance(),
    ?assertEqual({ok, [1042]}, wasmbeam:call(I, caught, [42])),
    ?assertEqual({ok, [1]}, wasmbeam:call(I, caught_all, [1])),
    %% Thrown after the call was rescheduled (and its frames saved) many
    %% times: caught, or not, the same.
    #{reschedules := Before} = wasmbeam:stats(),
    ?assertEqual({ok, [107]}, wasmbeam:call(I, spin_caught, [50000000])),
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [7]}}},
                 wasmbeam:call(I, spin_uncaught, [50000000])),
    #{reschedules := After} = wasmbeam:stats(),
    ?assert(After > Before).

host_funs_throw_by_tag_name_test() ->
    Host = fun(_, [0]) -> [0];
              (_, [1]) -> {exception, #{tag => <<"e">>, payload => [11]}};
              (_, [2]) -> {exception, #{tag => e, payload => [12]}};
              (_, [3]) -> {exception, #{tag => empty, payload => []}}
           end,
    I = instance(Host),
    ?assertEqual({ok, [0]}, wasmbeam:call(I, via_host, [0])),
    %% Caught by the try_table around the import's call.
    ?assertEqual({ok, [2011]}, wasmbeam:call(I, via_host, [1])),
    ?assertEqual({ok, [2012]}, wasmbeam:call(I, via_host, [2])),
    %% Not caught there: out of the call.
    ?assertEqual({error, {exception, #{tag => <<"empty">>, payload => []}}}, wasmbeam:call(I, via_host, [3])),
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [11]}}}, wasmbeam:call(I, host_unguarded, [1])).

host_funs_rethrow_what_a_nested_call_threw_test() ->
    %% The reason of `{error, {exception, _}}' as it is.
    Host = fun(Caller, [X]) ->
                   Export = case X rem 2 of 0 -> throw; 1 -> throw_hidden end,
                   case wasmbeam:call(Caller, Export, [X]) of
                       {ok, Results} -> Results;
                       {error, {exception, _} = Exception} -> Exception
                   end
           end,
    I = instance(Host),
    ?assertEqual({ok, [2004]}, wasmbeam:call(I, via_host, [4])),
    %% A tag the instance does not export too, by its reference.
    ?assertEqual({ok, [3005]}, wasmbeam:call(I, via_host, [5])),
    {error, {exception, #{tag := Hidden, payload := [7]}}} = wasmbeam:call(I, host_unguarded, [7]),
    ?assert(is_reference(Hidden)),
    %% A reference kept from an earlier call works as well.
    I2 = instance(),
    {error, {exception, Earlier}} = wasmbeam:call(I2, throw_hidden, [9]),
    I3 = instance(fun(Caller, [X]) ->
                          {error, {exception, E}} = wasmbeam:call(Caller, throw_hidden, [X]),
                          {exception, E#{payload := [X + 1]}}
                  end),
    ?assertEqual({ok, [3010]}, wasmbeam:call(I3, via_host, [9])),
    %% ... but only in the instance it came from.
    I4 = instance(fun(_, _) -> {exception, Earlier} end),
    ?assertMatch({error, {host_error, error, {bad_results, _}, []}}, wasmbeam:call(I4, via_host, [1])).

exceptions_a_host_fun_cannot_throw_are_its_errors_test() ->
    Bad = [{exception, #{tag => <<"nope">>, payload => []}},
           {exception, #{tag => <<"throw">>, payload => [1]}},   % a function, not a tag
           {exception, #{tag => e, payload => [1.5]}},
           {exception, #{tag => e, payload => [1, 2]}},
           {exception, #{tag => e, payload => 1}},
           {exception, #{tag => e}},
           {exception, #{tag => 42, payload => [1]}},
           {exception, [e, 1]},
           {exception, #{tag => make_ref(), payload => [1]}}],
    lists:foreach(
      fun(Answer) ->
              I = instance(fun(_, _) -> Answer end),
              {error, {host_error, error, {bad_results, Description}, []}} = wasmbeam:call(I, via_host, [1]),
              ?assert(is_binary(Description)),
              %% The instance is free again.
              ?assertEqual({ok, [1001]}, wasmbeam:call(I, caught, [1]))
      end, Bad).

exnref_values_test() ->
    I = instance(),
    {ok, [{exnref, Ref} = Exn]} = wasmbeam:call(I, catch_ref, [5]),
    ?assert(is_reference(Ref)),
    %% Given back, it is thrown again.
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [5]}}}, wasmbeam:call(I, rethrow, [Exn])),
    %% The same exception read from the global (another reference to it:
    %% the references are opaque, not identities to compare).
    {ok, {exnref, _} = Again} = wasmbeam:get_global(I, last),
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [5]}}}, wasmbeam:call(I, rethrow, [Again])),
    ?assertEqual(ok, wasmbeam:set_global(I, last, null)),
    ?assertEqual({ok, null}, wasmbeam:get_global(I, last)),
    ?assertEqual(ok, wasmbeam:set_global(I, last, Exn)),
    {ok, [{exnref, _}]} = wasmbeam:call(I, catch_ref, [6]),
    {ok, FromGlobal} = wasmbeam:get_global(I, last),
    ?assertEqual({error, {exception, #{tag => <<"e">>, payload => [6]}}}, wasmbeam:call(I, rethrow, [FromGlobal])),
    ?assertEqual({error, {trap, null_exception_reference}}, wasmbeam:call(I, rethrow, [null])),
    %% Not in another instance, and not as a made-up term.
    Other = instance(),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(Other, rethrow, [Exn])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, rethrow, [{exnref, make_ref()}])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, rethrow, [{exnref, 1}])),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:call(I, rethrow, [{externref, 1}])).
