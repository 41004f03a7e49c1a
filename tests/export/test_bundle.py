"""The .twin reader and writer on small bundles built here, and a corpus of broken and hostile files.

Every bad file must get a UserError that says what is wrong, and reading must write nothing.
"""

import io
import json
import os
import stat
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from desktop_twin.errors import UserError
from desktop_twin.export.bundle import (
    FORMAT_VERSION, FRAME_MEMBER, MANIFEST_MEMBER, REFERENCE_MEMBER, RENDERER_MEMBER, THUMBNAIL_MEMBER,
    TwinBundle, TwinManifest, encode_png, read_twin, write_twin)
from desktop_twin.face.align import STABLE_POINTS, STABLE_TEMPLATE

SIZE = 16  # the tiny renderer's crop
OPSET = 18  # as desktop_twin.training.renderer.ONNX_OPSET (not imported: that loads torch)
RNG = np.random.default_rng(7)
REFERENCE = RNG.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
FRAME = RNG.integers(0, 256, (48, 64, 3), dtype=np.uint8)
THUMBNAIL = RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
NEUTRAL = np.round(RNG.uniform(0, 256, (478, 3)), 3)


# -- a valid bundle, and ways to spoil it --------------------------------------------------------


def renderer_model(input_name: str = "sketch", op: str = "Sigmoid") -> onnx.ModelProto:
    shape = [1, 3, SIZE, SIZE]
    graph = helper.make_graph(
        [helper.make_node(op, [input_name], ["image"])], "renderer",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)


def misdeclared_model() -> onnx.ModelProto:
    """Declares the renderer's output shape but really flattens the picture: it would fail only when played."""
    shape = [1, 3, SIZE, SIZE]
    flat = helper.make_tensor("flat", TensorProto.INT64, [2], [1, 3 * SIZE * SIZE])
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["sketch", "flat"], ["image"])], "renderer",
        [helper.make_tensor_value_info("sketch", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)], initializer=[flat])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)


def runtime_specific_model() -> onnx.ModelProto:
    model = renderer_model()
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def external_data_model() -> onnx.ModelProto:
    """Weights 'stored' in a file beside the model: a reader that followed them would read any file."""
    model = renderer_model()
    weight = helper.make_tensor("weight", TensorProto.FLOAT, [1], [0.0])
    weight.ClearField("float_data")
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../../../etc/passwd"), ("offset", "0"), ("length", "4")):
        weight.external_data.add(key=key, value=value)
    model.graph.initializer.append(weight)
    return model


def manifest_dict(**changes) -> dict:
    manifest = {
        "format": "desktop-twin", "format_version": FORMAT_VERSION, "name": "Ada",
        "created": "2025-01-02T03:04:05Z", "app_version": "0.1.0",
        "models": {"renderer": {"file": RENDERER_MEMBER, "input": "sketch", "output": "image",
                                "size": SIZE, "opset": OPSET}},
        "landmark_topology": "mediapipe-face-mesh-478",
        "canonical": {"size": 256, "stable_points": STABLE_POINTS.tolist(), "template": STABLE_TEMPLATE.tolist()},
        "neutral_landmarks": NEUTRAL.tolist(),
        "frame_transform": [[2.0, 0.0, -10.0], [0.0, 2.0, -20.0]],
        "quality": {"onnx_max_abs_difference": 1e-6},
        "consent": {"name": "Ada", "statement": "I agree.", "recorded": "2025-01-01T00:00:00+00:00",
                    "clip": "consent.mp4", "sha256": "c" * 64, "seconds": 4.0},
        "provenance": {"base_model": "scratch", "footage_sha256": ["a" * 64], "steps": 3, "preset": "draft"},
    }
    manifest.update(changes)
    return manifest


def member_files() -> dict[str, bytes]:
    return {RENDERER_MEMBER: renderer_model().SerializeToString(), REFERENCE_MEMBER: encode_png(REFERENCE),
            FRAME_MEMBER: encode_png(FRAME), THUMBNAIL_MEMBER: encode_png(THUMBNAIL)}


def entries(**replaced) -> list[tuple[str, bytes]]:
    """The members of a valid bundle, in order; keyword names use _ for / and . (None drops one)."""
    members = {MANIFEST_MEMBER: json.dumps(manifest_dict()).encode(), **member_files()}
    for key, data in replaced.items():
        name = {"manifest": MANIFEST_MEMBER, "renderer": RENDERER_MEMBER, "reference": REFERENCE_MEMBER,
                "frame": FRAME_MEMBER, "thumbnail": THUMBNAIL_MEMBER}[key]
        members[name] = data
    return [(name, data) for name, data in members.items() if data is not None]


def zip_of(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names; that is the point
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    return info


def marked_encrypted(data: bytes, name: str) -> bytes:
    """Set a member's encrypted flag in the zip's central directory (zipfile will not write one)."""
    data = bytearray(data)
    header = data.rfind(name.encode()) - 46  # the last mention is the central directory's
    assert data[header:header + 4] == b"PK\x01\x02"
    data[header + 8] |= 0x1
    return bytes(data)


def with_manifest(**changes) -> bytes:
    return zip_of(entries(manifest=json.dumps(manifest_dict(**changes)).encode()))


def png_header(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big")


def valid_twin_bytes() -> bytes:
    return zip_of(entries())


# -- the corpus ----------------------------------------------------------------------------------

CORPUS = {
    "empty file": (lambda: b"", "not a zip archive"),
    "not a zip": (lambda: b"This is a text file, renamed to .twin.\n" * 20, "not a zip archive"),
    "truncated zip": (lambda: valid_twin_bytes()[: len(valid_twin_bytes()) // 2], "cut short"),
    "corrupted member data": (
        lambda: (lambda b: b[:200] + bytes(x ^ 0xFF for x in b[200:260]) + b[260:])(valid_twin_bytes()), "damaged"),
    "path traversal": (lambda: zip_of(entries() + [("../x", b"owned")]), "climbs out"),
    "deep path traversal": (lambda: zip_of(entries() + [("models/../../../x", b"owned")]), "climbs out"),
    "absolute path": (lambda: zip_of(entries() + [("/tmp/x", b"owned")]), "absolute path"),
    "windows absolute path": (lambda: zip_of(entries() + [("C:/x", b"owned")]), "absolute path"),
    "backslash path": (lambda: zip_of(entries() + [("..\\x", b"owned")]), "backslashes"),
    "symlink member": (lambda: zip_of(entries(thumbnail=None) + [
        (zip_info(THUMBNAIL_MEMBER, stat.S_IFLNK | 0o777), b"/etc/passwd")]), "symbolic link"),
    "folder member": (lambda: zip_of(entries() + [("models/", b"")]), "not a plain file"),
    "encrypted member": (lambda: marked_encrypted(valid_twin_bytes(), THUMBNAIL_MEMBER), "encrypted"),
    "zip bomb": (lambda: zip_of(entries(frame=bytes(12 << 20))), "zip bomb"),
    "oversize member": (lambda: zip_of(entries(thumbnail=RNG.bytes(2 << 20)), zipfile.ZIP_STORED),
                        "more than its limit"),
    "too many entries": (lambda: zip_of(entries() + [(f"extra{i}", b"") for i in range(40)]), "entries"),
    "duplicate member": (lambda: zip_of(entries() + [(MANIFEST_MEMBER, b"{}")]), "twice"),
    "unexpected member": (lambda: zip_of(entries() + [("run_me.sh", b"#!/bin/sh\n")]), "unexpected member"),
    "missing manifest": (lambda: zip_of(entries(manifest=None)), "manifest.json missing"),
    "missing renderer": (lambda: zip_of(entries(renderer=None)), "models/renderer.onnx missing"),
    "bad JSON": (lambda: zip_of(entries(manifest=b'{"format": "desktop-twin", ')), "not valid JSON"),
    "JSON nested too deep": (lambda: zip_of(entries(manifest=b"[" * 200_000 + b"]" * 200_000), zipfile.ZIP_STORED),
                             "not valid JSON"),
    "manifest not UTF-8": (lambda: zip_of(entries(manifest=b"\xff\xfe{}")), "not valid JSON"),
    "another format": (lambda: with_manifest(format="something-else"), "not a Desktop Twin file"),
    "newer format_version": (lambda: with_manifest(format_version=FORMAT_VERSION + 1),
                             "made by a newer version of Desktop Twin"),
    "newer format with a new member": (lambda: zip_of(entries(manifest=json.dumps(manifest_dict(
        format_version=FORMAT_VERSION + 1)).encode()) + [("models/expression.onnx", b"")]),
        "made by a newer version of Desktop Twin"),
    "newer format without a member": (lambda: zip_of(entries(thumbnail=None, manifest=json.dumps(manifest_dict(
        format_version=FORMAT_VERSION + 1)).encode())), "made by a newer version of Desktop Twin"),
    "schema: too few landmarks": (lambda: with_manifest(neutral_landmarks=NEUTRAL[:10].tolist()), "neutral_landmarks"),
    "schema: NaN landmark": (lambda: with_manifest(neutral_landmarks=[[float("nan")] * 3] * 478), "neutral_landmarks"),
    "schema: unknown field": (lambda: with_manifest(run="rm -rf ~"), "run"),
    "schema: terminal escape in a name": (lambda: with_manifest(app_version="\x1b[2J0.1"), "control characters"),
    "schema: flat frame transform": (lambda: with_manifest(frame_transform=[[0, 0, 1], [0, 0, 1]]), "inverted"),
    "schema: renderer file elsewhere": (lambda: with_manifest(models={"renderer": {
        "file": "../renderer.onnx", "input": "sketch", "output": "image", "size": SIZE, "opset": OPSET}}),
        "models.renderer.file"),
    "ONNX not a model": (lambda: zip_of(entries(renderer=b"\x0a\xff\xff\xff garbage")), "not an ONNX model"),
    "ONNX fails the checker": (lambda: zip_of(entries(renderer=renderer_model(op="Add").SerializeToString())),
                               "fails ONNX's model check"),  # Add with one input
    "ONNX unknown operator": (lambda: zip_of(entries(renderer=renderer_model(op="NoSuchOp").SerializeToString())),
                              "operators a twin never needs (NoSuchOp)"),
    "ONNX control flow": (lambda: zip_of(entries(renderer=renderer_model(op="Loop").SerializeToString())),
                          "operators a twin never needs (Loop)"),
    "ONNX output not as declared": (lambda: zip_of(entries(renderer=misdeclared_model().SerializeToString())),
                                    "fails ONNX's model check"),
    "ONNX external data": (lambda: zip_of(entries(renderer=external_data_model().SerializeToString())),
                           "external data"),
    "ONNX runtime-specific operators": (
        lambda: zip_of(entries(renderer=runtime_specific_model().SerializeToString())), "not standard ONNX"),
    "ONNX other input name": (lambda: zip_of(entries(renderer=renderer_model("x").SerializeToString())),
                              "does not match its manifest"),
    "undecodable PNG": (lambda: zip_of(entries(thumbnail=png_header(32, 32) + b"\x00" * 64)), "cannot be decoded"),
    "not a PNG": (lambda: zip_of(entries(frame=b"GIF89a" + b"\x00" * 64)), "not a PNG"),
    "PNG claiming gigapixels": (lambda: zip_of(entries(frame=png_header(100_000, 100_000) + b"\x00" * 64)),
                                "100000x100000"),
    "frame smaller than the face crop": (lambda: zip_of(entries(frame=encode_png(FRAME[:1, :1]))),
                                         "at least 16x16"),
    "reference of the wrong size": (lambda: zip_of(entries(reference=encode_png(THUMBNAIL))), "should be 16x16"),
}


def tree(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size if p.is_file() else -1, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


@pytest.fixture
def hostile_folder(tmp_path, monkeypatch):
    """Where bad files lie; the working directory is inside, so a relative write would show too."""
    folder = tmp_path / "files"
    (folder / "cwd").mkdir(parents=True)
    monkeypatch.chdir(folder / "cwd")
    return folder


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_every_bad_file_gets_a_clear_error_and_writes_nothing(case, hostile_folder, tmp_path):
    build, expected = CORPUS[case]
    path = hostile_folder / "bad.twin"
    path.write_bytes(build())
    before = tree(tmp_path)
    with pytest.raises(UserError) as error:
        read_twin(path)
    message = str(error.value)
    assert expected in message, message
    assert message.startswith("bad.twin ") and "Traceback" not in message
    assert "\x1b" not in message
    assert tree(tmp_path) == before


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        read_twin(tmp_path / "nowhere.twin")
    (tmp_path / "folder.twin").mkdir()
    with pytest.raises(UserError, match="is not a file"):
        read_twin(tmp_path / "folder.twin")


def mutated(data: bytes, rng: np.random.Generator) -> bytes:
    """Some bytes changed, the end cut off, or a slice repeated."""
    data = bytearray(data)
    kind = rng.integers(3)
    if kind == 0:
        for at in rng.integers(0, len(data), rng.integers(1, 9)):
            data[at] = rng.integers(256)
    elif kind == 1:
        data = data[: rng.integers(len(data))]
    else:
        start, length = int(rng.integers(len(data))), int(rng.integers(1, 64))
        data[start:start] = data[start:start + length]
    return bytes(data)


FUZZ_ITERATIONS = 400


def test_fuzzed_files_are_read_or_refused_never_crash(tmp_path):
    """Bounded fuzzing. Half the files are a valid file mutated (the zip's structure and checksums
    stop most); the other half mutate one member and zip it again, so the mutation reaches the
    JSON, schema, ONNX and PNG checks behind the checksums."""
    rng = np.random.default_rng(2024)
    valid, members = valid_twin_bytes(), entries()
    path = tmp_path / "fuzz.twin"
    refused = 0
    for _ in range(FUZZ_ITERATIONS):
        if rng.integers(2):
            data = mutated(valid, rng)
        else:
            spoilt = int(rng.integers(len(members)))
            data = zip_of([(name, mutated(content, rng) if i == spoilt else content)
                           for i, (name, content) in enumerate(members)])
        path.write_bytes(data)
        try:
            assert isinstance(read_twin(path), TwinBundle)
        except UserError:
            refused += 1
    assert refused > FUZZ_ITERATIONS // 2


# -- writing and reading back ------------------------------------------------------------------


def test_written_bundle_reads_back_the_same(tmp_path):
    manifest = TwinManifest.model_validate(manifest_dict())
    path = tmp_path / "Ada.twin"
    write_twin(path, manifest, member_files())
    assert [p.name for p in tmp_path.iterdir()] == ["Ada.twin"]  # no temporary file left beside it
    bundle = read_twin(path)
    assert bundle.manifest == manifest
    assert bundle.renderer_onnx == member_files()[RENDERER_MEMBER]
    np.testing.assert_array_equal(bundle.reference_rgb, REFERENCE)
    np.testing.assert_array_equal(bundle.frame_rgb, FRAME)
    np.testing.assert_array_equal(bundle.thumbnail_rgb, THUMBNAIL)
    np.testing.assert_allclose(bundle.neutral_landmarks, NEUTRAL, atol=1e-4)
    assert bundle.frame_transform.shape == (2, 3)
    with zipfile.ZipFile(path) as archive:
        assert [i.filename for i in archive.infolist()] == [
            MANIFEST_MEMBER, RENDERER_MEMBER, REFERENCE_MEMBER, FRAME_MEMBER, THUMBNAIL_MEMBER]


def test_writer_refuses_what_the_reader_would_and_leaves_the_old_file(tmp_path):
    manifest = TwinManifest.model_validate(manifest_dict())
    path = tmp_path / "Ada.twin"
    write_twin(path, manifest, member_files())
    before = path.read_bytes()
    oversized = {**member_files(), THUMBNAIL_MEMBER: encode_png(np.zeros((300, 300, 3), np.uint8))}
    with pytest.raises(UserError, match="300x300"):
        write_twin(path, manifest, oversized)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["Ada.twin"]
    with pytest.raises(ValueError, match="exactly"):
        write_twin(path, manifest, {RENDERER_MEMBER: b""})


def test_writing_into_a_missing_folder_is_a_user_error(tmp_path):
    manifest = TwinManifest.model_validate(manifest_dict())
    with pytest.raises(UserError, match="Cannot write"):
        write_twin(tmp_path / "missing" / "Ada.twin", manifest, member_files())


def test_an_older_reader_message_names_both_versions(tmp_path):
    path = tmp_path / "new.twin"
    path.write_bytes(with_manifest(format_version=FORMAT_VERSION + 4))
    with pytest.raises(UserError, match=f"format {FORMAT_VERSION + 4}; this version reads up to {FORMAT_VERSION}"):
        read_twin(path)


def test_importing_the_bundle_reader_loads_no_torch():
    code = ("import sys, desktop_twin.export.bundle\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stdout.replace("'", '"')))
    assert "torch" not in loaded
    assert not loaded & {"PySide6", "shiboken6"}
