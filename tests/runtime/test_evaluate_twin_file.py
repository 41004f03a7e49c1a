"""A .twin evaluated through ONNX Runtime scores what the torch evaluation scores on the same frames."""

import pytest

from desktop_twin.errors import UserError
from desktop_twin.runtime.evaluate_twin_file import METRICS, evaluate_bundle
from desktop_twin.training.data import PreparedData
from desktop_twin.training.evaluate import evaluate_twin


@pytest.fixture(scope="module")
def held_out_footage(trained_project):
    """The twin's own video and the second its held-out frames start at."""
    data = PreparedData.load(trained_project.prepared_dir)
    _, held_out = data.held_out_split()
    video = trained_project.footage_dir / trained_project.manifest.footage[0].file
    return video, float(data.time_seconds[held_out[0]]) - 1e-3


def test_onnx_runtime_agrees_with_torch_within_a_tenth_of_a_decibel(trained_project, bundle, held_out_footage):
    video, start = held_out_footage
    with_torch = evaluate_twin(trained_project, video, start=start)
    with_onnx = evaluate_bundle(bundle, video, start=start)
    assert with_onnx["frames"] == with_torch["frames"] > 0
    assert with_onnx["image_size"] == with_torch["image_size"]
    for metric in ("psnr", "mouth_psnr"):
        assert with_onnx["twin"][metric] == pytest.approx(with_torch["twin"][metric], abs=0.1), metric
    for metric in ("ssim", "mouth_ssim"):
        assert with_onnx["twin"][metric] == pytest.approx(with_torch["twin"][metric], abs=0.005), metric
    assert set(with_onnx["twin"]) == set(METRICS)
    assert with_onnx["provider"] == "CPUExecutionProvider"


def test_a_start_past_the_end_is_refused(bundle, held_out_footage):
    video, _ = held_out_footage
    with pytest.raises(UserError, match="past its end"):
        evaluate_bundle(bundle, video, start=600.0)
