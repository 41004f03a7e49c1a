"""The .twin's optional speech model and idle motion: written, read back, and refused when they do not agree."""

import json

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from desktop_twin.errors import UserError
from desktop_twin.export.bundle import (
    AUDIO_MOTION_MEMBER, MANIFEST_MEMBER, TwinManifest, read_twin, write_twin)
from tests.export.test_bundle import OPSET, entries, manifest_dict, member_files, zip_of

POINTS = [13, 14, 17]
BEFORE, AFTER, BINS = 4, 2, 80
AUDIO_ENTRY = {"file": AUDIO_MOTION_MEMBER, "input": "mel", "output": "mouth_offsets", "opset": OPSET,
               "mel_rate": 100, "mel_bins": BINS, "frames_before": BEFORE, "frames_after": AFTER,
               "points": POINTS, "speech_level": 7.0, "max_boost": 4.6}
IDLE = {"blinks_per_minute": 15.0, "blink_seconds": 0.12, "blink_depth": 0.2, "blinks_from": "recording",
        "head_bands_hz": [[0.1, 0.2], [0.2, 0.4]],
        "head": {"roll": [0.01, 0.005], "log_scale": [0.002, 0.001], "shift_x": [0.01, 0.004],
                 "shift_y": [0.01, 0.003]}}


def audio_model(points: int = len(POINTS)) -> bytes:
    """(1, window, 80) -> (1, points, 2): a linear map, as small as a real model is in shape."""
    window = BEFORE + 1 + AFTER
    weight = numpy_helper.from_array(np.full((window * BINS, points * 2), 1e-3, np.float32), "weight")
    flat_shape = numpy_helper.from_array(np.array([1, window * BINS], np.int64), "flat_shape")
    out_shape = numpy_helper.from_array(np.array([1, points, 2], np.int64), "out_shape")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["mel", "flat_shape"], ["flat"]),
         helper.make_node("MatMul", ["flat", "weight"], ["product"]),
         helper.make_node("Reshape", ["product", "out_shape"], ["mouth_offsets"])],
        "audio_motion",
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, [1, window, BINS])],
        [helper.make_tensor_value_info("mouth_offsets", TensorProto.FLOAT, [1, points, 2])],
        [weight, flat_shape, out_shape])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10).SerializeToString()


def speaking_manifest(**changes) -> dict:
    manifest = manifest_dict(**{"idle": IDLE, **changes})
    manifest["models"] = {**manifest["models"], "audio_motion": AUDIO_ENTRY}
    return manifest


def with_audio_entry(**changes) -> dict:
    manifest = speaking_manifest()
    manifest["models"]["audio_motion"] = {**AUDIO_ENTRY, **changes}
    return manifest


def speaking_zip(manifest: dict | None = None, audio: bytes | None = None) -> bytes:
    members = entries(manifest=json.dumps(manifest or speaking_manifest()).encode())
    if audio is not None:
        members.append((AUDIO_MOTION_MEMBER, audio))
    return zip_of(members)


def test_a_speaking_twin_is_written_and_read_back(tmp_path):
    manifest = TwinManifest.model_validate(speaking_manifest())
    path = tmp_path / "Ada.twin"
    write_twin(path, manifest, {**member_files(), AUDIO_MOTION_MEMBER: audio_model()})
    bundle = read_twin(path)
    assert bundle.audio_motion_onnx == audio_model()
    assert bundle.manifest.models.audio_motion.points == POINTS
    assert bundle.manifest.idle.blinks_per_minute == 15.0


def test_a_twin_from_before_twins_spoke_is_still_read(tmp_path):
    path = tmp_path / "old.twin"
    path.write_bytes(zip_of(entries()))
    bundle = read_twin(path)
    assert bundle.audio_motion_onnx is None and bundle.manifest.idle is None


def test_the_writer_wants_the_speech_model_exactly_when_the_manifest_names_it(tmp_path):
    with pytest.raises(ValueError, match="files must be exactly"):
        write_twin(tmp_path / "a.twin", TwinManifest.model_validate(speaking_manifest()), member_files())
    with pytest.raises(ValueError, match="files must be exactly"):
        write_twin(tmp_path / "b.twin", TwinManifest.model_validate(manifest_dict()),
                   {**member_files(), AUDIO_MOTION_MEMBER: audio_model()})
    assert list(tmp_path.iterdir()) == []


BROKEN = {
    "a speech model the manifest does not name": (
        lambda: zip_of(entries() + [(AUDIO_MOTION_MEMBER, audio_model())]), "which its manifest does not name"),
    "a manifest naming a missing speech model": (lambda: speaking_zip(), "audio_motion.onnx missing"),
    "a speech model of the wrong shape": (lambda: speaking_zip(audio=audio_model(points=5)), "does not match"),
    "a speech model that is not ONNX": (lambda: speaking_zip(audio=b"not a model"), "is not an ONNX model"),
    "repeated points": (lambda: speaking_zip(with_audio_entry(points=[13, 13, 17]), audio_model()),
                        "points must be distinct"),
    "a head spread per band missing": (lambda: speaking_zip(
        speaking_manifest(idle={**IDLE, "head": {**IDLE["head"], "roll": [0.01]}}), audio_model()),
        "one value per band"),
    "a blink rate out of range": (lambda: speaking_zip(
        speaking_manifest(idle={**IDLE, "blinks_per_minute": 1e6}), audio_model()), "blinks_per_minute"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_speech_parts_that_do_not_agree_are_refused(case, tmp_path):
    make, message = BROKEN[case]
    path = tmp_path / "bad.twin"
    path.write_bytes(make())
    with pytest.raises(UserError, match=message):
        read_twin(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.twin"]


def test_the_manifest_member_is_still_required_first(tmp_path):
    path = tmp_path / "bad.twin"
    path.write_bytes(zip_of([(n, d) for n, d in entries() if n != MANIFEST_MEMBER]))
    with pytest.raises(UserError, match="manifest.json missing"):
        read_twin(path)
