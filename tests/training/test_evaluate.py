"""Evaluating a twin: a real clip, prepared and trained for a few steps, scored on its held-out frames."""

import argparse
import json
import math

import cv2
import numpy as np
import pytest

from desktop_twin.cli import evaluate_command
from desktop_twin.errors import UserError
from desktop_twin.face.align import STABLE_TEMPLATE
from desktop_twin.store import create_project
from desktop_twin.training.data import PreparedData
from desktop_twin.training.evaluate import HELD_OUT, METRICS, evaluate_twin, identity_chip_box
from desktop_twin.training.identity import CHIP_EYES, SAME_PERSON_THRESHOLD
from tests.conftest import shared_file
from tests.twins import trained_twin

CLIP = "talking/t05_man_in_suit_6s.mp4"
TRAIN_STEPS = 3


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A twin of a 6 s clip, prepared and trained from scratch for a few steps (a poor renderer)."""
    root = tmp_path_factory.mktemp("twins")
    return trained_twin(root, steps=TRAIN_STEPS, from_scratch=True), root


@pytest.fixture(scope="module")
def held_out_result(trained, tmp_path_factory):
    project, _ = trained
    samples = tmp_path_factory.mktemp("samples")
    return evaluate_twin(project, HELD_OUT, samples_dir=samples), samples


def all_scores(result: dict) -> dict[str, dict]:
    return {"twin": result["twin"], **result["baselines"]}


def test_held_out_report_is_complete_and_finite(trained, held_out_result):
    project, _ = trained
    result, _ = held_out_result
    _, held_out = PreparedData.load(project.prepared_dir).held_out_split()
    assert result["frames"] == len(held_out) > 0
    assert result["step"] == TRAIN_STEPS
    assert result["checkpoint"] == str(project.checkpoints_dir / "best.pt")
    assert set(result["baselines"]) == {"mean_frame", "nearest_landmarks"}
    for scores in all_scores(result).values():
        assert set(scores) == set(METRICS)
        assert all(math.isfinite(value) for value in scores.values()), scores
    json.dumps(result)  # what --json prints


def test_nearest_landmarks_baseline_is_a_real_frame_of_the_person(held_out_result):
    result, _ = held_out_result
    nearest, mean = result["baselines"]["nearest_landmarks"], result["baselines"]["mean_frame"]
    # A flat grey face scores about 10-15 dB; a real frame of the same person in the same pose far more.
    assert nearest["psnr"] > 20.0 and nearest["ssim"] > 0.6, nearest
    assert nearest["psnr"] > mean["psnr"] and nearest["mouth_psnr"] > mean["mouth_psnr"], result["baselines"]
    assert nearest["identity_distance"] < SAME_PERSON_THRESHOLD, nearest
    # The mesh finds a real face's landmarks where a nearby pose put them: a few pixels at 256 px.
    assert nearest["landmark_error_px"] < 4.0 and nearest["mouth_landmark_error_px"] < 4.0, nearest


def test_a_barely_trained_twin_loses_to_the_baselines(held_out_result):
    result, _ = held_out_result
    twin, nearest = result["twin"], result["baselines"]["nearest_landmarks"]
    assert twin["psnr"] < nearest["psnr"] - 3.0, (twin, nearest)
    assert twin["identity_distance"] > nearest["identity_distance"], (twin, nearest)


def test_samples_show_real_twin_and_nearest_side_by_side(held_out_result):
    result, folder = held_out_result
    written = sorted(folder.glob("*.png"))
    assert [str(p) for p in written] == sorted(result["samples"]) and 1 <= len(written) <= 4
    strip = cv2.imread(str(written[0]))
    size = result["image_size"]
    assert strip.shape == (size, 3 * size, 3)


def test_the_video_file_gives_the_numbers_of_its_prepared_frames(trained, held_out_result):
    """The footage path tracks and aligns as prepare does: same frames, about the same scores."""
    project, _ = trained
    held, _ = held_out_result
    data = PreparedData.load(project.prepared_dir)
    _, held_out = data.held_out_split()
    start = float(data.time_seconds[held_out[0]]) - 1e-3
    result = evaluate_twin(project, project.footage_dir / shared_file(CLIP).name, start=start)
    assert result["frames"] == held["frames"]
    for name, scores in all_scores(result).items():
        expected = all_scores(held)[name]
        assert scores["psnr"] == pytest.approx(expected["psnr"], abs=0.2), name
        assert scores["mouth_psnr"] == pytest.approx(expected["mouth_psnr"], abs=0.2), name
        assert scores["identity_distance"] == pytest.approx(expected["identity_distance"], abs=0.02), name


def test_cli_prints_one_json_object(trained, monkeypatch, capsys):
    project, root = trained
    monkeypatch.setenv("DESKTOP_TWIN_HOME", str(root))
    parser = argparse.ArgumentParser()
    evaluate_command.add_parsers(parser.add_subparsers())
    data = PreparedData.load(project.prepared_dir)
    last = float(data.time_seconds.max())
    args = parser.parse_args(["evaluate", "suit", "held-out", "--start", str(last - 0.2), "--json"])
    assert args.run(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert 1 <= printed["frames"] <= 6 and printed["start"] == pytest.approx(last - 0.2)


def test_cli_table_names_the_twin_and_both_baselines(trained, monkeypatch, capsys):
    _, root = trained
    monkeypatch.setenv("DESKTOP_TWIN_HOME", str(root))
    parser = argparse.ArgumentParser()
    evaluate_command.add_parsers(parser.add_subparsers())
    args = parser.parse_args(["evaluate", "suit", "held-out", "--start", "5.9"])
    assert args.run(args) == 0
    table = capsys.readouterr().out
    assert "mean frame" in table and "nearest landmarks" in table and "mouth PSNR" in table


def test_footage_without_a_face_is_a_user_error(trained, tmp_path):
    project, _ = trained
    path = tmp_path / "wall.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (160, 120))
    for _ in range(5):
        writer.write(np.full((120, 160, 3), 90, np.uint8))
    writer.release()
    with pytest.raises(UserError, match="No face"):
        evaluate_twin(project, path)


def test_end_before_start_is_a_user_error(trained):
    with pytest.raises(UserError, match="--end"):
        evaluate_twin(trained[0], HELD_OUT, start=3.0, end=2.0)


def test_an_untrained_twin_must_be_trained_first():
    project = create_project("fresh")
    with pytest.raises(UserError, match="train it first"):
        evaluate_twin(project, HELD_OUT)


def test_identity_chip_puts_the_template_eyes_where_dlib_puts_them():
    left, top, side = identity_chip_box()
    assert 0.0 <= left and 0.0 <= top and left + side <= 1.0 and top + side <= 1.0  # inside the crop
    right_eye = (STABLE_TEMPLATE[0] + STABLE_TEMPLATE[1]) / 2  # mesh points 33 and 133
    left_eye = (STABLE_TEMPLATE[2] + STABLE_TEMPLATE[3]) / 2  # 362 and 263
    in_chip = (np.stack([right_eye, left_eye]) - [left, top]) / side
    # Within 1% of the chip's side: the precision the identity card asks for.
    assert np.abs(in_chip - np.asarray(CHIP_EYES)).max() < 0.01, in_chip
