%% A tiny gen_server for the tests: adds its state to what it is sent.
-module(wasmbeam_test_server).
-behaviour(gen_server).

-export([init/1, handle_call/3, handle_cast/2]).

init(Base) -> {ok, Base}.

handle_call({add, X}, _From, Base) -> {reply, Base + X, Base}.

handle_cast(_Msg, State) -> {noreply, State}.
