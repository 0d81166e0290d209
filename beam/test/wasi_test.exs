defmodule Wasmbeam.WasiTest do
  use ExUnit.Case, async: true

  defp program(name) do
    Path.join([__DIR__, "..", "..", "wasi", "tests", "programs", name <> ".wasm"])
    |> File.read!()
    |> Wasmbeam.compile!()
  end

  test "a command with arguments, environment and captured output" do
    assert {:ok, 2, %{stdout: out, stderr: ""}} =
             Wasmbeam.run(program("args_env"),
               args: ["prog", "one"],
               env: %{"GREETING" => "hi"},
               stdout: :capture,
               stderr: :capture
             )

    assert out == "argv[0] = \"prog\"\nargv[1] = \"one\"\nenv: GREETING=hi\nGREETING is hi\n"
  end

  test "stdin from a binary, output to this process" do
    assert Wasmbeam.run!(program("stdio"), stdin: "a\nb\nc\n", stdout: {:send, self()}, stderr: :discard) == 3
    assert_received {:wasmbeam_stdout, _instance, "A\nB\nC\n"}
  end

  test "run! raises on errors and returns captured output" do
    assert {0, %{stdout: "exiting with 0\nbye\n"}} =
             Wasmbeam.run!(program("exit"), args: ["exit", "0"], stdout: :capture)

    assert_raise Wasmbeam.Error, fn -> Wasmbeam.run!(program("stdio"), stdin: 42) end
  end

  test "a reactor with WASI and an Elixir host function" do
    wat = ~S"""
    (module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "env" "triple" (func $triple (param i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hi\n")
      (func (export "run") (param i32) (result i32)
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 3))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $triple (local.get 0))))
    """

    instance =
      wat
      |> Wasmbeam.compile!()
      |> Wasmbeam.instantiate!(%{"env" => %{"triple" => fn _, [x] -> [3 * x] end}},
        wasi: [stdout: {:send, self()}]
      )

    assert Wasmbeam.call!(instance, "run", [14]) == [42]
    assert_received {:wasmbeam_stdout, _, "hi\n"}
  end
end

defmodule Wasmbeam.WasiFilesTest do
  use ExUnit.Case, async: true

  test "files in memory, returned after the run" do
    module =
      Path.join([__DIR__, "..", "..", "wasi", "tests", "programs", "fs_paths.wasm"])
      |> File.read!()
      |> Wasmbeam.compile!()

    assert {0, %{files: files}} = Wasmbeam.run!(module, files: %{"/data/in.txt" => "x"}, stdout: :discard)
    assert files["/data/in.txt"] == "x"
    assert files["/data/empty/b.txt"] == "beta"
  end
end
