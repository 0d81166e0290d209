defmodule Wasmbeam.SimdTest do
  use ExUnit.Case, async: true

  @wat """
  (module
    (import "env" "scale" (func $scale (param v128 f64) (result v128)))
    (func (export "dot") (param v128 v128) (result v128) (i32x4.dot_i16x8_s (local.get 0) (local.get 1)))
    (func (export "twice") (param $v v128) (result v128)
      (call $scale (call $scale (local.get $v) (f64.const 2)) (f64.const 0.5))))
  """

  defp f64x2(a, b), do: <<a::float-64-little, b::float-64-little>>

  test "v128 values are 16-byte binaries, lanes little-endian" do
    instance = Wasmbeam.instantiate!(Wasmbeam.compile!(@wat), %{"env" => %{"scale" => fn _, [v, _] -> [v] end}})
    a = <<1::16-little, 2::16-little, 3::16-little, 4::16-little, -1::16-little, 0::16, 0::16, 7::16-little>>
    b = <<10::16-little, 20::16-little, 30::16-little, 40::16-little, 5::16-little, 0::16, 0::16, 1::16-little>>
    assert Wasmbeam.call!(instance, "dot", [a, b]) == [<<50::32-little, 250::32-little, -5::32-little-signed, 7::32-little>>]
    assert {:error, {:bad_argument, _}} = Wasmbeam.call(instance, "dot", [a, <<1, 2>>])
  end

  test "a host function receives and returns v128 values" do
    test = self()

    scale = fn _, [<<x::float-64-little, y::float-64-little>>, k] ->
      send(test, {:scale, x, y, k})
      [f64x2(x * k, y * k)]
    end

    instance = Wasmbeam.instantiate!(Wasmbeam.compile!(@wat), %{"env" => %{"scale" => scale}})
    assert Wasmbeam.call!(instance, "twice", [f64x2(1.5, -3.0)]) == [f64x2(1.5, -3.0)]
    assert_received {:scale, 1.5, -3.0, 2.0}
    assert_received {:scale, 3.0, -6.0, 0.5}
  end
end
