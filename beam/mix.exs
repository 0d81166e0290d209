defmodule Wasmbeam.MixProject do
  use Mix.Project

  def project do
    [
      app: :wasmbeam,
      version: "0.1.0",
      elixir: "~> 1.14",
      description:
        "WebAssembly for the Erlang VM: a Cranelift JIT with reduction counting and synchronous host functions",
      erlc_paths: ["src"],
      erlc_options: [:debug_info],
      elixirc_paths: ["lib"],
      # The NIF library is built with cargo before the Erlang and Elixir
      # sources (see Mix.Tasks.Compile.WasmbeamNif below).
      compilers: [:wasmbeam_nif | Mix.compilers()],
      start_permanent: Mix.env() == :prod,
      # No dependencies: nothing is fetched from Hex.
      deps: []
    ]
  end

  def application do
    [extra_applications: []]
  end
end

defmodule Mix.Tasks.Compile.WasmbeamNif do
  @shortdoc "Builds the wasmbeam NIF library with cargo"
  @moduledoc """
  Builds the NIF library (`nif/` in the repository root) with cargo and
  copies it to `priv/libwasmbeam_nif.so`, where `wasmbeam_nif` loads it.

  The cargo profile is taken from the environment variable
  `WASMBEAM_NIF_PROFILE`: `release` (the default) or `dev` (the debug
  build: much faster to compile, for development), or any other profile
  of the workspace. Cargo decides whether anything needs rebuilding, so
  this runs on every compile and is quick when nothing changed.
  """
  use Mix.Task.Compiler

  @library "libwasmbeam_nif.so"

  @impl true
  def run(_args) do
    profile = System.get_env("WASMBEAM_NIF_PROFILE", "release")
    project_dir = Path.dirname(Mix.Project.project_file())
    root = Path.dirname(project_dir)

    with :ok <- cargo_build(root, profile) do
      source = Path.join([target_dir(root), profile_dir(profile), @library])
      install(source, Path.join([project_dir, "priv", @library]))
    end
  end

  defp cargo_build(root, profile) do
    cargo =
      System.find_executable("cargo") ||
        Mix.raise("cargo not found: install Rust to build the wasmbeam NIF")

    args = ["build", "--profile", profile, "-p", "wasmbeam-nif"]

    case System.cmd(cargo, args, cd: root, stderr_to_stdout: true, into: IO.stream(:stdio, :line)) do
      {_, 0} -> :ok
      {_, status} -> error("cargo build failed (exit status #{status})")
    end
  end

  # Cargo's target directory: CARGO_TARGET_DIR if set, else target/ of the
  # workspace.
  defp target_dir(root) do
    case System.get_env("CARGO_TARGET_DIR") do
      nil -> Path.join(root, "target")
      "" -> Path.join(root, "target")
      dir -> Path.expand(dir, root)
    end
  end

  defp profile_dir("dev"), do: "debug"
  defp profile_dir("test"), do: "debug"
  defp profile_dir("bench"), do: "release"
  defp profile_dir(profile), do: profile

  # Copies the library unless priv/ already has the same one. The copy is
  # renamed into place, so a VM that has the old file loaded keeps a
  # consistent mapping of it.
  defp install(source, target) do
    cond do
      not File.regular?(source) ->
        error("cargo did not produce #{source}")

      same_file?(source, target) ->
        {:noop, []}

      true ->
        File.mkdir_p!(Path.dirname(target))
        partial = target <> ".partial"
        File.cp!(source, partial)
        File.rename!(partial, target)
        # A fresh checkout has no priv/ until now: link it into _build.
        Mix.Project.build_structure()
        Mix.shell().info("Copied #{source} to #{Path.relative_to_cwd(target)}")
        {:ok, []}
    end
  end

  defp same_file?(a, b) do
    case {File.stat(a), File.stat(b)} do
      {{:ok, %{size: size}}, {:ok, %{size: size}}} -> File.read!(a) == File.read!(b)
      _ -> false
    end
  end

  defp error(message) do
    Mix.shell().error(message)

    diagnostic = %Mix.Task.Compiler.Diagnostic{
      compiler_name: "wasmbeam_nif",
      file: Mix.Project.project_file(),
      position: nil,
      message: message,
      severity: :error
    }

    {:error, [diagnostic]}
  end
end
