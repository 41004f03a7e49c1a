"""Exporting a real twin (a 6 s clip, prepared and trained for a few steps) and reading it back."""

import argparse
import dataclasses
import json
import threading

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import torch

from desktop_twin.capture.consent import CONSENT_CLIP, CONSENT_FOLDER, CONSENT_RECORD, ConsentRecord
from desktop_twin.capture.footage import file_sha256
from desktop_twin.cli import export_command
from desktop_twin.errors import UserError
from desktop_twin.export import onnx_export
from desktop_twin.export.bundle import MAX_FRAME_SIDE, read_twin
from desktop_twin.export.onnx_export import PARITY_TOLERANCE, export_renderer
from desktop_twin.export.twin_export import (
    PARITY_KEY, compose, downscaled, export_twin, load_trained_twin, parity_sketches)
from desktop_twin.face.align import STABLE_POINTS
from desktop_twin.resources import model_path
from desktop_twin.store import create_project
from desktop_twin.store.atomic import atomic_write_json
from desktop_twin.training.baked_state import baked_from_state
from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.data import PreparedData
from desktop_twin.training.renderer import ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT
from desktop_twin.training.trainer import BASE_MODEL
from tests.twins import trained_twin

TRAIN_STEPS = 3


def add_consent(project) -> ConsentRecord:
    """A consent record as the recorder seals it (the clip's bytes are a stand-in)."""
    folder = project.recordings_dir / "20250101-000000" / CONSENT_FOLDER
    folder.mkdir(parents=True)
    (folder / CONSENT_CLIP).write_bytes(b"consent clip")
    record = ConsentRecord("Suit", "I agree to a twin of me.", "2025-01-01T00:00:00+00:00", CONSENT_CLIP,
                           file_sha256(folder / CONSENT_CLIP), 5.0)
    atomic_write_json(folder / CONSENT_RECORD, dataclasses.asdict(record))
    return record


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("twins")
    return trained_twin(root, steps=TRAIN_STEPS, device="cpu"), root


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    project, _ = trained
    consent = add_consent(project)
    folder = tmp_path_factory.mktemp("exported")
    events = []
    path = export_twin(project, folder / "suit.twin", events.append)
    return path, events, consent


def test_export_reports_its_stages_and_writes_only_the_file(exported):
    path, events, _ = exported
    assert [p.name for p in path.parent.iterdir()] == ["suit.twin"]
    assert [e.done for e in events] == sorted(e.done for e in events) and events[-1].done == events[-1].total
    assert any(e.message and "matches torch" in e.message for e in events)


def test_exported_twin_carries_quality_consent_and_provenance(trained, exported):
    project, _ = trained
    path, _, consent = exported
    manifest = read_twin(path).manifest
    assert manifest.name == "suit" and manifest.format_version == 1
    renderer = manifest.models.renderer
    assert (renderer.input, renderer.output, renderer.size, renderer.opset) == (
        ONNX_INPUT, ONNX_OUTPUT, 128, ONNX_OPSET)
    assert manifest.canonical.size == 256 and manifest.canonical.stable_points == STABLE_POINTS.tolist()
    quality = manifest.quality
    assert 0 <= quality[PARITY_KEY] <= PARITY_TOLERANCE
    assert quality["training_held_out"]["step"] == TRAIN_STEPS
    held_out = quality["held_out"]
    assert held_out["frames"] > 0 and {"twin", "mean_frame", "nearest_landmarks"} <= set(held_out)
    assert all(np.isfinite(held_out[name]["psnr"]) for name in ("twin", "mean_frame", "nearest_landmarks"))
    assert manifest.consent.sha256 == consent.sha256 and manifest.consent.name == consent.name
    source = manifest.provenance
    assert source.footage_sha256 == [f.sha256 for f in project.manifest.footage]
    assert source.base_model == file_sha256(model_path(BASE_MODEL))
    assert (source.steps, source.preset) == (TRAIN_STEPS, "draft")


def test_renderer_in_the_file_runs_and_matches_the_trained_model(trained, exported):
    project, _ = trained
    path, _, _ = exported
    session = ort.InferenceSession(read_twin(path).renderer_onnx, providers=["CPUExecutionProvider"])
    (given,), (returned,) = session.get_inputs(), session.get_outputs()
    assert (given.name, given.shape, returned.name, returned.shape) == (
        ONNX_INPUT, [1, 3, 128, 128], ONNX_OUTPUT, [1, 3, 128, 128])
    sketches = parity_sketches(load_trained_twin(project))
    model = baked_from_state(load_checkpoint(project.checkpoints_dir / "best.pt")["model"]).eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(sketches)).numpy()
    got = np.concatenate([session.run(None, {ONNX_INPUT: s[None]})[0] for s in sketches])
    assert np.abs(got - expected).max() <= PARITY_TOLERANCE
    assert got.std() > 0.01  # a real face, not a constant


def test_frame_and_its_transform_give_back_the_reference_crop(trained, exported):
    project, _ = trained
    bundle = read_twin(exported[0])
    data = PreparedData.load(project.prepared_dir)
    reference = load_trained_twin(project).reference
    size = bundle.manifest.canonical.size
    crop = cv2.warpAffine(bundle.frame_rgb, bundle.frame_transform, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    assert np.abs(crop.astype(np.float32) - data.crop(reference)).mean() < 3.0
    np.testing.assert_allclose(bundle.neutral_landmarks, data.crop_landmarks[reference], atol=1e-3)
    assert max(bundle.frame_rgb.shape[:2]) <= MAX_FRAME_SIDE


def test_reference_and_thumbnail_are_the_twins_own_crop(trained, exported):
    project, _ = trained
    bundle = read_twin(exported[0])
    saved = load_checkpoint(project.checkpoints_dir / "best.pt")["model"]["reference"]["image"]
    np.testing.assert_array_equal(bundle.reference_rgb, saved)
    assert bundle.thumbnail_rgb.shape == (256, 256, 3)


def test_a_large_frame_is_downscaled_with_an_exact_transform():
    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur(rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8), (0, 0), 12)
    small, to_big = downscaled(big, MAX_FRAME_SIDE)
    assert small.shape == (960, 1280, 3)
    to_crop = np.array([[0.2, 0.05, -100.0], [-0.05, 0.2, -50.0]])  # a face's crop from the big frame
    from_big = cv2.warpAffine(big, to_crop, (256, 256), flags=cv2.INTER_AREA)
    from_small = cv2.warpAffine(small, compose(to_crop, to_big), (256, 256), flags=cv2.INTER_AREA)
    assert np.abs(from_big.astype(np.float32) - from_small).mean() < 1.0
    unchanged, identity = downscaled(big[:720, :1280], MAX_FRAME_SIDE)
    assert unchanged.shape == (720, 1280, 3) and np.array_equal(identity, np.eye(2, 3))


def test_untrained_twin_says_train_it_first(tmp_path):
    with pytest.raises(UserError, match="train it first"):
        export_twin(create_project("blank"), tmp_path / "blank.twin")
    assert list(tmp_path.glob("*.twin")) == []


def test_cancel_between_stages_writes_nothing(trained, tmp_path):
    project, _ = trained
    cancel = threading.Event()
    with pytest.raises(UserError, match="cancelled"):
        export_twin(project, tmp_path / "suit.twin", lambda event: cancel.set(), cancel)
    assert list(tmp_path.iterdir()) == []


def test_footage_changed_since_training_is_refused(trained, tmp_path):
    project, _ = trained
    changed = dataclasses.replace(project, manifest=project.manifest.model_copy(deep=True))
    changed.manifest.footage.append(changed.manifest.footage[0].model_copy(update={"sha256": "0" * 64}))
    with pytest.raises(UserError, match="changed since it was trained"):
        export_twin(changed, tmp_path / "suit.twin")
    # ...and prepared again: the reference crop is the same, but the checkpoint knows its footage
    changed.manifest.prepared = changed.manifest.prepared.model_copy(
        update={"footage_sha256": [entry.sha256 for entry in changed.manifest.footage]})
    assert changed.manifest.status == "prepared"
    with pytest.raises(UserError, match="changed since it was trained"):
        export_twin(changed, tmp_path / "suit.twin")


def test_output_must_be_a_twin_file_in_an_existing_folder(trained, tmp_path):
    project, _ = trained
    with pytest.raises(UserError, match=r"ends in \.twin"):
        export_twin(project, tmp_path / "suit.zip")
    with pytest.raises(UserError, match="does not exist"):
        export_twin(project, tmp_path / "missing" / "suit.twin")


def test_a_renderer_that_does_not_match_is_not_kept(trained, tmp_path, monkeypatch):
    project, _ = trained
    twin = load_trained_twin(project)
    monkeypatch.setattr(onnx_export, "parity", lambda *args: 10 * PARITY_TOLERANCE)
    with pytest.raises(UserError, match="differs from the trained one"):
        export_renderer(twin.model, tmp_path / "renderer.onnx", parity_sketches(twin))
    assert list(tmp_path.iterdir()) == []


def test_cli_export_and_info_print_a_validated_summary(trained, tmp_path, monkeypatch, capsys):
    _, root = trained
    monkeypatch.setenv("DESKTOP_TWIN_HOME", str(root))
    parser = argparse.ArgumentParser()
    export_command.add_parsers(parser.add_subparsers())
    out = tmp_path / "suit.twin"
    args = parser.parse_args(["export", "suit", str(out), "--no-evaluate"])
    assert args.run(args) == 0
    summary = capsys.readouterr().out
    assert "ONNX parity" in summary and "128 px, ONNX opset 18" in summary and "not measured" not in summary
    assert export_command.describe_twin(out, as_json=True) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["name"] == "suit" and described["models"]["renderer"]["size"] == 128
    assert described["quality"][PARITY_KEY] <= PARITY_TOLERANCE and "held_out" not in described["quality"]
