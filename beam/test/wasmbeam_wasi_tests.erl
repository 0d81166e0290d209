%% EUnit: WASI programs in the BEAM. Commands run with arguments and
%% environment; stdout and stderr to the group leader, to a pid, captured;
%% stdin from a binary and from the group leader (a test group leader,
%% `test_gl/1', that serves the io protocol); sleeps that hold no scheduler
%% and can be killed; a thousand programs blocked on stdin at once; and a
%% reactor with WASI and Erlang host funs together.
-module(wasmbeam_wasi_tests).

-include_lib("eunit/include/eunit.hrl").

program(Name) ->
    Path = filename:join(["..", "wasi", "tests", "programs", Name ++ ".wasm"]),
    {ok, Bytes} = file:read_file(Path),
    {ok, Module} = wasmbeam:compile(Bytes),
    Module.

%% A group leader that records output and answers `get_line' requests
%% from `Lines' (then from lines sent as `{feed, Line}', or `eof').
test_gl(Lines) ->
    spawn_link(fun() -> gl_loop(Lines, [], []) end).

gl_loop(Lines, Output, Waiting) ->
    receive
        {io_request, From, Ref, {put_chars, _Encoding, Chars}} ->
            From ! {io_reply, Ref, ok},
            gl_loop(Lines, [Output, Chars], Waiting);
        {io_request, From, Ref, {put_chars, _Encoding, M, F, A}} ->
            From ! {io_reply, Ref, ok},
            gl_loop(Lines, [Output, apply(M, F, A)], Waiting);
        {io_request, From, Ref, {get_line, _Encoding, _Prompt}} ->
            serve(Lines, Output, Waiting ++ [{From, Ref}]);
        {io_request, From, Ref, _Other} ->
            From ! {io_reply, Ref, {error, request}},
            gl_loop(Lines, Output, Waiting);
        {feed, Line} ->
            serve(Lines ++ [Line], Output, Waiting);
        {output, Pid} ->
            Pid ! {output, self(), iolist_to_binary(Output)},
            gl_loop(Lines, Output, Waiting)
    end.

serve([Line | Lines], Output, [{From, Ref} | Waiting]) ->
    From ! {io_reply, Ref, Line},
    serve(Lines, Output, Waiting);
serve(Lines, Output, Waiting) ->
    gl_loop(Lines, Output, Waiting).

gl_output(GL) ->
    GL ! {output, self()},
    receive {output, GL, Output} -> Output end.

%% Runs `Fun' in a new process whose group leader is `GL'; returns its
%% result.
with_gl(GL, Fun) ->
    Self = self(),
    Pid = spawn_link(fun() -> group_leader(GL, self()), Self ! {self(), Fun()} end),
    receive {Pid, Result} -> Result end.

command_with_args_env_and_capture_test() ->
    M = program("args_env"),
    {ok, 3, #{stdout := Out, stderr := <<>>}} =
        wasmbeam:run(M, #{args => [<<"prog">>, <<"a b">>, <<>>],
                          env => #{<<"GREETING">> => <<"hello">>},
                          stdout => capture, stderr => capture}),
    ?assertEqual(<<"argv[0] = \"prog\"\nargv[1] = \"a b\"\nargv[2] = \"\"\n"
                   "env: GREETING=hello\nGREETING is hello\n">>, Out).

exit_status_test() ->
    M = program("exit"),
    ?assertMatch({ok, 7}, wasmbeam:run(M, #{args => [<<"exit">>, <<"7">>], stdout => discard})),
    ?assertMatch({ok, 0, #{stdout := <<"exiting with 0\nbye\n">>}},
                 wasmbeam:run(M, #{args => [<<"exit">>, <<"0">>], stdout => capture})).

stdin_from_a_binary_and_output_to_the_group_leader_test() ->
    M = program("stdio"),
    GL = test_gl([]),
    ?assertEqual({ok, 2}, with_gl(GL, fun() -> wasmbeam:run(M, #{stdin => <<"ab\ncd\n">>}) end)),
    ?assertEqual(<<"AB\nCD\n6 bytes, 2 lines\n">>, gl_output(GL)).

stdin_from_the_group_leader_test() ->
    M = program("stdio"),
    GL = test_gl([<<"first\n">>, "second line\n", eof]),
    ?assertEqual({ok, 2}, with_gl(GL, fun() -> wasmbeam:run(M, #{stdin => io, stderr => discard}) end)),
    ?assertEqual(<<"FIRST\nSECOND LINE\n">>, gl_output(GL)).

output_to_a_pid_test() ->
    M = program("stdio"),
    {ok, 1} = wasmbeam:run(M, #{stdin => <<"x\n">>, stdout => {send, self()}, stderr => {send, self()}}),
    ?assertEqual(<<"X\n">>, collect(wasmbeam_stdout)),
    ?assertEqual(<<"2 bytes, 1 lines\n">>, collect(wasmbeam_stderr)).

collect(Tag) ->
    receive {Tag, _Instance, Bytes} -> <<Bytes/binary, (collect(Tag))/binary>>
    after 0 -> <<>>
    end.

%% A program sleeping 200 ms in poll_oneoff waits in `receive ... after':
%% no long_schedule event, and it can be killed mid-sleep.
sleeping_holds_no_scheduler_and_can_be_killed_test() ->
    M = program("sleep"),
    erlang:system_monitor(self(), [{long_schedule, 20}]),
    Runner = spawn(fun() -> wasmbeam:run(M, #{args => [<<"sleep">>, <<"200">>], stdout => discard}) end),
    timer:sleep(50),
    ?assertMatch({status, waiting}, erlang:process_info(Runner, status)),
    exit(Runner, kill),
    timer:sleep(10),
    ?assertNot(is_process_alive(Runner)),
    T0 = erlang:monotonic_time(millisecond),
    ?assertMatch({ok, 0, #{stdout := <<"slept 200 ms: 0\n">>}},
                 wasmbeam:run(M, #{args => [<<"sleep">>, <<"200">>], stdout => capture})),
    ?assert(erlang:monotonic_time(millisecond) - T0 >= 200),
    erlang:system_monitor(undefined),
    Self = self(),
    receive
        {monitor, Pid, long_schedule, Info} when Pid =:= Self; Pid =:= Runner ->
            ?assert(false, {long_schedule, Info})
    after 0 -> ok
    end.

a_thousand_programs_blocked_on_stdin_all_complete_when_fed_test_() ->
    {timeout, 120, fun() ->
        M = program("stdio"),
        Self = self(),
        GLs = [test_gl([]) || _ <- lists:seq(1, 1000)],
        Pids = [spawn_link(fun() ->
                               group_leader(GL, self()),
                               Self ! {done, self(), wasmbeam:run(M, #{stdin => io, stderr => discard})}
                           end) || GL <- GLs],
        timer:sleep(200),
        [?assertMatch({status, waiting}, erlang:process_info(P, status)) || P <- Pids],
        [begin GL ! {feed, <<"line ", (integer_to_binary(I))/binary, "\n">>}, GL ! {feed, eof} end
         || {I, GL} <- lists:zip(lists:seq(1, 1000), GLs)],
        Results = [receive {done, P, R} -> R end || P <- Pids],
        ?assertEqual(lists:duplicate(1000, {ok, 1}), Results),
        ?assertEqual(<<"LINE 17\n">>, gl_output(lists:nth(17, GLs)))
    end}.

-define(REACTOR, <<"(module
  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import \"env\" \"double\" (func $double (param i32) (result i32)))
  (memory (export \"memory\") 1)
  (global $ready (mut i32) (i32.const 0))
  (data (i32.const 16) \"ready\\n\")
  (func (export \"_initialize\") (global.set $ready (i32.const 1)))
  (func (export \"run\") (param i32) (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.add (call $double (local.get 0)) (global.get $ready))))">>).

reactor_with_wasi_and_erlang_host_funs_test() ->
    {ok, M} = wasmbeam:compile(?REACTOR),
    Imports = #{<<"env">> => #{<<"double">> => fun(_, [X]) -> [2 * X] end}},
    {ok, I} = wasmbeam:instantiate(M, Imports, #{wasi => #{stdout => {send, self()}}}),
    ?assertEqual({ok, [43]}, wasmbeam:call(I, run, [21]), "_initialize ran"),
    ?assertEqual(<<"ready\n">>, collect(wasmbeam_stdout)),
    %% Without the wasi option, the WASI import is an Erlang import like any.
    ?assertMatch({error, {link_error, _}}, wasmbeam:instantiate(M, Imports)).

bad_wasi_options_test() ->
    M = program("stdio"),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, #{stdin => 42})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, #{stdout => somewhere})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, #{args => [not_a_binary]})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, #{colour => blue})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, not_a_map)),
    {ok, NoStart} = wasmbeam:compile(<<"(module)">>),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(NoStart, #{})).

%% The in-memory file system: files given as binaries, every file the
%% program left returned after the run.
files_in_memory_test() ->
    M = program("fs_paths"),
    {ok, 0, #{files := Files, stdout := Out}} =
        wasmbeam:run(M, #{files => #{<<"/data/seed.txt">> => <<"seed">>}, stdout => capture}),
    ?assertEqual(#{<<"/data/seed.txt">> => <<"seed">>,
                   <<"/data/dir/a2.txt">> => <<"alp">>,
                   <<"/data/dir/hard">> => <<"alp">>,
                   <<"/data/empty/b.txt">> => <<"beta">>}, Files),
    %% The file system is preopened as `/': an absolute symlink target
    %% would escape it, and is refused.
    ?assertNotEqual(nomatch, binary:match(Out, <<"symlink(\"/etc/passwd\", \"/data/dir/abs\")      Operation not permitted">>)).

%% A host directory, sandboxed: the program's tree is left there; nothing
%% outside it changes; a read-only preopen refuses every change.
preopened_host_directory_test() ->
    Base = filename:join(["/tmp", "wasmbeam-eunit-" ++ integer_to_list(erlang:unique_integer([positive]))]),
    Dir = filename:join(Base, "data"),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    ok = file:write_file(filename:join(Base, "outside"), <<"untouched">>),
    M = program("fs_paths"),
    ?assertMatch({ok, 0}, wasmbeam:run(M, #{preopens => [{Dir, <<"/data">>}], stdout => discard})),
    ?assertEqual({ok, <<"alp">>}, file:read_file(filename:join([Dir, "dir", "a2.txt"]))),
    ?assertEqual({ok, <<"untouched">>}, file:read_file(filename:join(Base, "outside"))),
    ?assertEqual(["data", "outside"], lists:sort(element(2, file:list_dir(Base)))),
    ReadOnly = filename:join(Base, "ro"),
    ok = file:make_dir(ReadOnly),
    {ok, 0, #{stdout := Out}} =
        wasmbeam:run(M, #{preopens => [{ReadOnly, "/data", read_only}], stdout => capture}),
    ?assertNotEqual(nomatch, binary:match(Out, <<"mkdir(\"/data/dir\", 0755)                     Operation not permitted">>)),
    ?assertEqual({ok, []}, file:list_dir(ReadOnly)),
    ?assertMatch({error, {bad_argument, _}},
                 wasmbeam:run(M, #{preopens => [{filename:join(Base, "missing"), <<"/x">>}]})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, #{preopens => [bad]})),
    ?assertMatch({error, {bad_argument, _}}, wasmbeam:run(M, #{files => #{<<"/a">> => not_a_binary}})),
    os:cmd("rm -rf " ++ Base).

%% A poll of stdin that times out leaves its line request with the group
%% leader; the read that follows gets that line when it comes.
poll_on_stdin_then_read_test() ->
    M = program("poll"),
    GL = test_gl([]),
    Self = self(),
    Runner = spawn_link(fun() ->
                            group_leader(GL, self()),
                            Self ! {done, wasmbeam:run(M, #{stdin => io, stdout => capture})}
                        end),
    timer:sleep(400),
    ?assertMatch({status, waiting}, erlang:process_info(Runner, status)),
    GL ! {feed, <<"abc\n">>},
    receive
        {done, {ok, 0, #{stdout := Out}}} ->
            ?assertNotEqual(nomatch, binary:match(Out, <<"poll stdin: rc 0\n">>)),
            ?assertNotEqual(nomatch, binary:match(Out, <<"read stdin: 4\n">>))
    after 5000 ->
        ?assert(false, no_result)
    end.
