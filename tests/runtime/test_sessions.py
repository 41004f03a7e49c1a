"""ONNX Runtime sessions report the provider they really run on; a provider that does not work is refused."""

import pytest

from desktop_twin.errors import UserError
from desktop_twin.face.onnx_session import usable_providers
from desktop_twin.resources import model_path
from desktop_twin.runtime.sessions import CPU, CUDA, listed_providers, open_session

DETECTOR = model_path("face_detector.onnx")


def test_the_default_choice_reports_the_provider_the_session_really_uses():
    chosen = open_session(DETECTOR)
    assert chosen.provider == chosen.session.get_providers()[0]
    assert chosen.provider == usable_providers()[0]  # CUDA where it really works, else the CPU
    assert chosen.input_names == ["image"]


def test_a_model_given_as_bytes_opens_on_the_cpu_when_asked(bundle):
    chosen = open_session(bundle.renderer_onnx, [CPU])
    assert chosen.provider == CPU
    assert chosen.input_names == [bundle.manifest.models.renderer.input]


def test_cuda_where_it_does_not_work_is_refused_not_swapped_for_the_cpu():
    if CUDA in usable_providers():
        pytest.skip("CUDA really works on this machine")
    with pytest.raises(UserError, match=CUDA):
        open_session(DETECTOR, [CUDA])


def test_a_provider_this_build_lacks_is_refused_with_the_reason():
    with pytest.raises(UserError, match="not in this ONNX Runtime build"):
        open_session(DETECTOR, ["NoSuchExecutionProvider"])
    assert CPU in listed_providers()


def test_a_model_that_even_the_cpu_cannot_run_is_called_damaged_not_a_gpu_problem():
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [1], [3])  # 4 values into 3: fails on its first run
    graph = helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"])], "broken",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], initializer=[shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    with pytest.raises(UserError, match="may be damaged") as error:
        open_session(model.SerializeToString())
    assert "Without a working GPU" not in str(error.value)
