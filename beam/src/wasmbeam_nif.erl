%% @private
%% @doc The NIF library of wasmbeam (`priv/libwasmbeam_nif.so', built from
%% `nif/' with cargo). Internal: use the API in `wasmbeam'. Every function
%% here is replaced when the library loads; the bodies only run if it did
%% not, and raise `nif_not_loaded'. Once loaded, no function here raises:
%% every failure, a bad argument or a bug (a panic in the library), is
%% `{error, Reason}'. `fault/1' fails on purpose, for the tests of that.
-module(wasmbeam_nif).

-export([compile/2, module_exports/1, module_imports/1,
         module_serialize/1, module_deserialize/1,
         instantiate/3, run_start/1,
         call/4, resume/2, abort/1,
         read_memory/4, write_memory/4, memory_size/2, grow_memory/3,
         get_global/2, set_global/3,
         stats/0, reset_longest_slice/0, call_memory/1, noop/0,
         trap_codes/0, fault/1,
         proceed/1, wasi_resume/2, wasi_captured/1]).

-nifs([compile/2, module_exports/1, module_imports/1,
       module_serialize/1, module_deserialize/1,
       instantiate/3, run_start/1,
       call/4, resume/2, abort/1,
       read_memory/4, write_memory/4, memory_size/2, grow_memory/3,
       get_global/2, set_global/3,
       stats/0, reset_longest_slice/0, call_memory/1, noop/0,
       trap_codes/0, fault/1,
       proceed/1, wasi_resume/2, wasi_captured/1]).

-on_load(load/0).

load() ->
    erlang:load_nif(library_path(), 0).

%% priv/libwasmbeam_nif, found through the application (a release, mix, or
%% an `-pa .../ebin' code path), else next to this module's ebin directory.
library_path() ->
    Dir = case code:priv_dir(wasmbeam) of
              {error, bad_name} ->
                  filename:join([filename:dirname(filename:dirname(code:which(?MODULE))), "priv"]);
              Priv ->
                  Priv
          end,
    filename:join(Dir, "libwasmbeam_nif").

compile(_Bytes, _Lazy) -> not_loaded().
module_exports(_Module) -> not_loaded().
module_imports(_Module) -> not_loaded().
module_serialize(_Module) -> not_loaded().
module_deserialize(_Bytes) -> not_loaded().
instantiate(_Module, _Imports, _Options) -> not_loaded().
run_start(_Instance) -> not_loaded().
call(_Instance, _Name, _Args, _Options) -> not_loaded().
resume(_Call, _Results) -> not_loaded().
abort(_Call) -> not_loaded().
read_memory(_Instance, _Memory, _Offset, _Length) -> not_loaded().
write_memory(_Instance, _Memory, _Offset, _Bytes) -> not_loaded().
memory_size(_Instance, _Memory) -> not_loaded().
grow_memory(_Instance, _Memory, _Pages) -> not_loaded().
get_global(_Instance, _Name) -> not_loaded().
set_global(_Instance, _Name, _Value) -> not_loaded().
stats() -> not_loaded().
reset_longest_slice() -> not_loaded().
call_memory(_Call) -> not_loaded().
noop() -> not_loaded().
trap_codes() -> not_loaded().
fault(_Where) -> not_loaded().
proceed(_Call) -> not_loaded().
wasi_resume(_Call, _Stdin) -> not_loaded().
wasi_captured(_Instance) -> not_loaded().

not_loaded() ->
    erlang:nif_error(nif_not_loaded).
