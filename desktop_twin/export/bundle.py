"""The .twin file: one zip holding everything the live twin needs, validated before use.

Members (exactly these; nothing else is accepted):

- manifest.json: TwinManifest below;
- models/renderer.onnx: the baked renderer, landmark sketch -> face crop;
- models/audio_motion.onnx (optional, with models.audio_motion in the manifest): log-mel audio ->
  mouth and jaw offsets from the neutral face, so the twin can speak;
- reference.png: the twin's reference crop (RGB, the renderer's size);
- frame.png: a full frame of the twin's footage, which the live twin is composited into;
- thumbnail.png: a small picture for the library.

A twin that speaks also carries `idle` in its manifest: its person's blink and head-motion
statistics, which the runtime plays while the audio moves the mouth. Files without either
(made before twins spoke) stay valid.

Geometry: `neutral_landmarks` (478 x 3) are in pixels of the canonical crop of
`canonical.size`; `frame_transform` maps frame.png pixels into that same crop. The renderer
works at `models.renderer.size`: scale by renderer.size / canonical.size between the two.

Reading trusts nothing in the file until it is checked: the zip's directory and member
names, kinds and sizes come first, then the manifest's schema and version, then the ONNX
model and the images. Everything happens in memory, so reading never writes anywhere.
No torch here: the live path reads .twin files.
"""

import io
import json
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, BinaryIO, Literal

import cv2
import numpy as np
import onnx
from google.protobuf.message import DecodeError
from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, FiniteFloat, JsonValue, TypeAdapter, ValidationError,
    model_validator)

from desktop_twin.errors import UserError
from desktop_twin.store.atomic import atomic_write_bytes
from desktop_twin.store.project import validate_name

FORMAT = "desktop-twin"
FORMAT_VERSION = 1
LANDMARK_TOPOLOGY = "mediapipe-face-mesh-478"
LANDMARK_COUNT = 478

MANIFEST_MEMBER = "manifest.json"
RENDERER_MEMBER = "models/renderer.onnx"
AUDIO_MOTION_MEMBER = "models/audio_motion.onnx"
REFERENCE_MEMBER = "reference.png"
FRAME_MEMBER = "frame.png"
THUMBNAIL_MEMBER = "thumbnail.png"

MIB = 1 << 20
# Each member's largest uncompressed size. The "high" preset's renderer is ~35 MB: ~31 MB of
# weights and the reference maps folded in at every block; the limit leaves room to grow.
MEMBER_LIMITS = {
    MANIFEST_MEMBER: 1 * MIB,
    RENDERER_MEMBER: 150 * MIB,
    AUDIO_MOTION_MEMBER: 16 * MIB,
    REFERENCE_MEMBER: 8 * MIB,
    FRAME_MEMBER: 16 * MIB,
    THUMBNAIL_MEMBER: 1 * MIB,
}
MEMBERS = tuple(MEMBER_LIMITS)  # every member a .twin may hold, in the order they are written
# The operators the exporter writes (the renderer: convolutions, pixel shuffle, resize; the audio model:
# convolutions, matrix products, GELU), and a few other plain tensor operators. Nothing that loops or
# branches: a hostile graph could otherwise run for ever when the twin is first played.
SAFE_OPERATORS = frozenset({
    "Add", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv", "ConvTranspose", "DepthToSpace",
    "Div", "Erf", "Exp", "Flatten", "Gather", "Gemm", "Identity", "LeakyRelu", "MatMul", "Max", "Min", "Mul", "Neg",
    "Pad", "Pow", "ReduceMean", "ReduceSum", "Relu", "Reshape", "Resize", "Shape", "Sigmoid", "Slice", "Softmax",
    "Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze"})
OPTIONAL_MEMBERS = (AUDIO_MOTION_MEMBER,)
REQUIRED_MEMBERS = tuple(name for name in MEMBERS if name not in OPTIONAL_MEMBERS)
MAX_TOTAL_BYTES = 200 * MIB  # the file, and all its members uncompressed
# Weights and PNGs barely compress (~1.1x), the manifest's numbers ~3x; zip bombs reach 1000x.
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 64 * 1024  # below this, a high ratio cannot hurt
MAX_FRAME_SIDE = 1280
MAX_THUMBNAIL_SIDE = 256

_MAX_ENTRIES = 16  # the zip's own count, checked before Python builds one object per entry
_MAX_DIRECTORY_BYTES = 64 * 1024
_END_RECORD = b"PK\x05\x06"  # the zip's end-of-central-directory record, 22 bytes + comment
_END_RECORD_SIZE = 22
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip times start here
_STANDARD_DOMAINS = {"", "ai.onnx"}


# -- the manifest --------------------------------------------------------------------------------


def _plain_text(value: str) -> str:
    """Text shown to the user: no control characters (a hostile file could drive the terminal)."""
    if any(unicodedata.category(c) == "Cc" and c != "\n" for c in value):
        raise ValueError("contains control characters")
    return value


def _twin_name(value: str) -> str:
    try:
        return validate_name(value)
    except UserError as error:
        raise ValueError(str(error)) from None


Text = Annotated[str, Field(max_length=200), AfterValidator(_plain_text)]
LongText = Annotated[str, Field(max_length=4000), AfterValidator(_plain_text)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Point2 = Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)]
Point3 = Annotated[list[FiniteFloat], Field(min_length=3, max_length=3)]
MatrixRow = Annotated[list[FiniteFloat], Field(min_length=3, max_length=3)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RendererModel(_Record):
    file: Literal["models/renderer.onnx"] = RENDERER_MEMBER
    input: Text = Field(min_length=1)
    output: Text = Field(min_length=1)
    size: int = Field(ge=16, le=1024, description="side of the square crop it renders, px")
    opset: int = Field(ge=7, le=onnx.defs.onnx_opset_version())


MEL_RATE = 100  # log-mel frames per second, as desktop_twin.capture.audio makes them
MEL_BINS = 80


class AudioMotionModel(_Record):
    """Audio -> mouth motion: (1, frames_before + 1 + frames_after, mel_bins) log-mel, loudness-normalised
    (minus max(the input's speech level, speech_level - max_boost)), in; (1, len(points), 2) offsets of
    those landmarks from the neutral face, in the neutral face's eye distances, out."""

    file: Literal["models/audio_motion.onnx"] = AUDIO_MOTION_MEMBER
    input: Text = Field(min_length=1)
    output: Text = Field(min_length=1)
    opset: int = Field(ge=7, le=onnx.defs.onnx_opset_version())
    mel_rate: Literal[100] = MEL_RATE
    mel_bins: Literal[80] = MEL_BINS
    frames_before: int = Field(ge=0, le=200)
    frames_after: int = Field(ge=0, le=100)
    points: list[Annotated[int, Field(ge=0, lt=LANDMARK_COUNT)]] = Field(min_length=1, max_length=LANDMARK_COUNT)
    speech_level: FiniteFloat = Field(description="log power at which the twin's own speech peaks")
    max_boost: FiniteFloat = Field(ge=0, le=20, description="the most a quiet input is raised, log power")

    @model_validator(mode="after")
    def _distinct_points(self):
        if len(set(self.points)) != len(self.points):
            raise ValueError("points must be distinct")
        return self


class TwinModels(_Record):
    renderer: RendererModel
    audio_motion: AudioMotionModel | None = None


Spread = Annotated[list[Annotated[float, Field(ge=0, le=1)]], Field(max_length=16)]


class HeadMotion(_Record):
    """Standard deviations of the head's in-plane motion in each band of IdleMotion.head_bands_hz."""

    roll: Spread  # radians
    log_scale: Spread
    shift_x: Spread  # in crop sizes
    shift_y: Spread


class IdleMotion(_Record):
    blinks_per_minute: float = Field(ge=0, le=120)
    blink_seconds: float = Field(ge=0.01, le=2)
    blink_depth: float = Field(ge=0, le=1, description="eye aspect ratio at a blink's deepest, of the open eye's")
    blinks_from: Literal["recording", "typical"]
    head_bands_hz: list[Annotated[list[Annotated[float, Field(gt=0, le=50)]], Field(min_length=2, max_length=2)]] = (
        Field(max_length=16))
    head: HeadMotion

    @model_validator(mode="after")
    def _one_spread_per_band(self):
        for name in HeadMotion.model_fields:
            if len(getattr(self.head, name)) != len(self.head_bands_hz):
                raise ValueError(f"head.{name} needs one value per band")
        if any(low >= high for low, high in self.head_bands_hz):
            raise ValueError("each band must go from a lower to a higher frequency")
        return self


class CanonicalCrop(_Record):
    size: int = Field(ge=16, le=2048, description="side of the crop the landmarks are given in, px")
    stable_points: list[Annotated[int, Field(ge=0, lt=LANDMARK_COUNT)]] = Field(min_length=2, max_length=32)
    template: list[Point2] = Field(description="where the stable points sit, as fractions of the crop")

    @model_validator(mode="after")
    def _one_position_per_point(self):
        if len(self.template) != len(self.stable_points):
            raise ValueError("template needs one position per stable point")
        return self


class ConsentInfo(_Record):
    name: Text
    statement: LongText
    recorded: Text
    clip: Text
    sha256: Sha256
    seconds: float = Field(ge=0)


class Provenance(_Record):
    base_model: Annotated[str, Field(pattern=r"^(scratch|[0-9a-f]{64})$")]
    footage_sha256: list[Sha256] = Field(max_length=1000)
    steps: int = Field(ge=0)
    preset: Text


Figure = float | None  # NaN too: a figure that could not be had
Scores = dict[str, Figure]


class HeldOutQuality(BaseModel):
    """The twin and both baselines on the held-out frames, as the library and the report card read them."""

    model_config = ConfigDict(extra="allow")  # figures a later version adds
    frames: int
    image_size: int
    twin: Scores
    mean_frame: Scores | None = None
    nearest_landmarks: Scores | None = None


_QUALITY_SECTIONS = {
    "held_out": TypeAdapter(HeldOutQuality),
    "training_held_out": TypeAdapter(Scores),
    "lipsync": TypeAdapter(dict[str, Figure | Scores]),
}
_OTHER_FIGURE = TypeAdapter(Figure)


def _figures_only(quality: dict) -> dict:
    """Quality is numbers, grouped as the readers expect: anything else would break them when shown."""
    for key, value in quality.items():
        _QUALITY_SECTIONS.get(key, _OTHER_FIGURE).validate_python(value, strict=True)
    return quality


class TwinManifest(_Record):
    format: Literal["desktop-twin"] = FORMAT
    format_version: int = Field(FORMAT_VERSION, ge=1, le=FORMAT_VERSION)
    name: Annotated[str, AfterValidator(_twin_name)]
    created: datetime
    app_version: Text
    models: TwinModels
    landmark_topology: Literal["mediapipe-face-mesh-478"] = LANDMARK_TOPOLOGY
    canonical: CanonicalCrop
    neutral_landmarks: list[Point3] = Field(min_length=LANDMARK_COUNT, max_length=LANDMARK_COUNT)
    frame_transform: list[MatrixRow] = Field(min_length=2, max_length=2)
    quality: Annotated[dict[str, JsonValue], AfterValidator(_figures_only)] = {}
    consent: ConsentInfo | None = None
    provenance: Provenance
    idle: IdleMotion | None = None

    @model_validator(mode="after")
    def _frame_transform_inverts(self):
        # The live path composites through its inverse.
        (a, b, _), (c, d, _) = self.frame_transform
        if abs(a * d - b * c) < 1e-9:
            raise ValueError("frame_transform cannot be inverted")
        return self


@dataclass(frozen=True)
class TwinBundle:
    """A validated .twin file, in memory."""

    manifest: TwinManifest
    renderer_onnx: bytes
    reference_rgb: np.ndarray  # (S, S, 3) uint8, S = manifest.models.renderer.size
    frame_rgb: np.ndarray  # (H, W, 3) uint8, long side <= MAX_FRAME_SIDE
    thumbnail_rgb: np.ndarray  # (h, w, 3) uint8, sides <= MAX_THUMBNAIL_SIDE
    audio_motion_onnx: bytes | None = None  # with manifest.models.audio_motion

    @property
    def neutral_landmarks(self) -> np.ndarray:
        """(478, 3) float32, pixels of the canonical crop."""
        return np.asarray(self.manifest.neutral_landmarks, np.float32)

    @property
    def frame_transform(self) -> np.ndarray:
        """(2, 3): frame.png pixels -> canonical crop pixels."""
        return np.asarray(self.manifest.frame_transform, np.float64)


# -- writing -------------------------------------------------------------------------------------


def encode_png(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"cannot encode an image of shape {rgb.shape} as PNG")
    return data.tobytes()


def write_twin(path: Path, manifest: TwinManifest, files: dict[str, bytes]) -> None:
    """Write a .twin atomically (a temporary file beside it, then a rename). `files` holds every
    member but the manifest. What is written is read back first: a file the reader would refuse
    is never written. The audio-to-motion model is in `files` exactly when the manifest names it."""
    path = Path(path)
    wanted = set(REQUIRED_MEMBERS) - {MANIFEST_MEMBER}
    if manifest.models.audio_motion is not None:
        wanted.add(AUDIO_MOTION_MEMBER)
    if set(files) != wanted:
        raise ValueError(f"files must be exactly {sorted(wanted)}, got {sorted(files)}")
    archive = _zip_bytes(manifest, files)
    _read_archive(io.BytesIO(archive), path.name)
    try:
        atomic_write_bytes(path, archive)
    except OSError as error:
        raise UserError(f"Cannot write {path}: {error.strerror or error}.") from None


def _zip_bytes(manifest: TwinManifest, files: dict[str, bytes]) -> bytes:
    members = {MANIFEST_MEMBER: (manifest.model_dump_json(indent=1) + "\n").encode("utf-8"), **files}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in (name for name in MEMBERS if name in members):
            info = zipfile.ZipInfo(name, date_time=max(manifest.created.timetuple()[:6], _ZIP_EPOCH))
            # PNGs are compressed already; deflating them again costs time and gains nothing.
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()


# -- reading -------------------------------------------------------------------------------------


def read_twin(path: Path) -> TwinBundle:
    """Read and validate a .twin file; anything wrong with it is a UserError saying what."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist.")
    if not path.is_file():
        raise UserError(f"{path} is not a file.")
    try:
        with open(path, "rb") as source:
            return _read_archive(source, path.name)
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror or error}.") from None


def _read_archive(source: BinaryIO, label: str) -> TwinBundle:
    _check_directory_record(source, label)
    try:
        with zipfile.ZipFile(source) as archive:
            _refuse_a_newer_format(archive, label)
            members = _checked_members(archive, label)
            contents = {name: _read_member(archive, info, label) for name, info in members.items()}
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, struct.error, NotImplementedError) as error:
        raise UserError(f"{label} is damaged ({_shown(str(error))}). Copy or export it again.") from None
    manifest = parse_manifest(contents[MANIFEST_MEMBER], label)
    check_renderer(contents[RENDERER_MEMBER], manifest.models.renderer, label)
    audio_motion = _checked_audio_motion(contents, manifest, label)
    size = manifest.models.renderer.size
    return TwinBundle(
        manifest=manifest,
        renderer_onnx=contents[RENDERER_MEMBER],
        reference_rgb=_decode_png(contents[REFERENCE_MEMBER], REFERENCE_MEMBER, label, size, size, exact=True),
        frame_rgb=_decode_png(contents[FRAME_MEMBER], FRAME_MEMBER, label, MAX_FRAME_SIDE, MAX_FRAME_SIDE,
                              min_side=size),  # the frame the face is put back into holds the crop
        thumbnail_rgb=_decode_png(contents[THUMBNAIL_MEMBER], THUMBNAIL_MEMBER, label,
                                  MAX_THUMBNAIL_SIDE, MAX_THUMBNAIL_SIDE),
        audio_motion_onnx=audio_motion,
    )


def _checked_audio_motion(contents: dict[str, bytes], manifest: TwinManifest, label: str) -> bytes | None:
    """The audio-to-motion model's bytes when the manifest names it (checked); the two must agree."""
    declared = manifest.models.audio_motion
    present = AUDIO_MOTION_MEMBER in contents
    if declared is None and present:
        raise _refused(label, f"it holds {AUDIO_MOTION_MEMBER}, which its manifest does not name")
    if declared is not None and not present:
        raise UserError(f"{label} is not a complete .twin file: {AUDIO_MOTION_MEMBER} missing. "
                        f"Copy or export it again.")
    if declared is None:
        return None
    check_audio_motion(contents[AUDIO_MOTION_MEMBER], declared, label)
    return contents[AUDIO_MOTION_MEMBER]


def _shown(text: str, limit: int = 80) -> str:
    """Text from the file, made safe to print: escaped and cut short."""
    text = repr(text)[1:-1]
    return text if len(text) <= limit else text[:limit] + "..."


def _refused(label: str, problem: str) -> UserError:
    return UserError(f"{label} was refused: {problem}. A .twin made by Desktop Twin never does this; "
                     f"the file was altered or did not come from Desktop Twin.")


# -- the zip's structure ---------------------------------------------------------------------


def _check_directory_record(source: BinaryIO, label: str) -> None:
    """Size and entry count from the zip's end record, before zipfile reads every entry."""
    size = source.seek(0, io.SEEK_END)
    if size > MAX_TOTAL_BYTES:
        raise UserError(f"{label} is {size / MIB:.0f} MB; a .twin file is at most {MAX_TOTAL_BYTES // MIB} MB.")
    start = max(0, size - _END_RECORD_SIZE - 0xFFFF)  # the record ends in a comment of up to 64 KB
    source.seek(start)
    tail = source.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise UserError(f"{label} is not a .twin file: it is not a zip archive, or it was cut short "
                        f"(an interrupted copy or download). Copy or export it again.")
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    if entries > _MAX_ENTRIES or directory_bytes > _MAX_DIRECTORY_BYTES:
        raise _refused(label, f"it lists {entries} entries in {directory_bytes} bytes; "
                              f"a .twin holds at most {len(MEMBERS)}")
    source.seek(0)


def _refuse_a_newer_format(archive: zipfile.ZipFile, label: str) -> None:
    """A newer format may hold other members: it is told apart before its members are judged.
    Anything else wrong with the manifest is left to the full checks."""
    try:
        info = archive.getinfo(MANIFEST_MEMBER)
    except KeyError:
        return
    if info.file_size > MEMBER_LIMITS[MANIFEST_MEMBER] or info.flag_bits & 0x1:
        return
    try:
        raw = json.loads(archive.read(info).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    if isinstance(raw, dict) and raw.get("format") == FORMAT:
        _check_format_version(raw.get("format_version"), label)


def _check_format_version(version, label: str) -> None:
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise UserError(f"{label} was made by a newer version of Desktop Twin (format {version}; this "
                        f"version reads up to {FORMAT_VERSION}). Update Desktop Twin to open it.")


def _checked_members(archive: zipfile.ZipFile, label: str) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        _check_member_name(info, label)
        _check_member_kind(info, label)
        if info.filename in members:
            raise _refused(label, f"it holds {_shown(info.filename)} twice")
        if info.filename not in MEMBER_LIMITS:
            raise _refused(label, f"it holds an unexpected member {_shown(info.filename)}")
        _check_member_size(info, label)
        members[info.filename] = info
    missing = [name for name in REQUIRED_MEMBERS if name not in members]
    if missing:
        raise UserError(f"{label} is not a complete .twin file: {', '.join(missing)} missing. "
                        f"Copy or export it again.")
    total = sum(info.file_size for info in members.values())
    if total > MAX_TOTAL_BYTES:
        raise _refused(label, f"it unpacks to {total / MIB:.0f} MB, more than {MAX_TOTAL_BYTES // MIB} MB")
    return members


def _check_member_name(info: zipfile.ZipInfo, label: str) -> None:
    name = info.orig_filename  # zipfile cuts names at a NUL byte; the original shows it
    shown = _shown(name)
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise _refused(label, f"a member name holds control characters ({shown})")
    if "\\" in name:
        raise _refused(label, f"a member name uses backslashes ({shown})")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _refused(label, f"a member has an absolute path ({shown})")
    if ".." in name.split("/"):
        raise _refused(label, f"a member's path climbs out of its folder ({shown})")


def _check_member_kind(info: zipfile.ZipInfo, label: str) -> None:
    mode = info.external_attr >> 16  # Unix mode bits, where the zip was made on Unix
    if stat.S_ISLNK(mode):
        raise _refused(label, f"{_shown(info.filename)} is a symbolic link")
    if info.is_dir() or (stat.S_IFMT(mode) and not stat.S_ISREG(mode)):
        raise _refused(label, f"{_shown(info.filename)} is not a plain file")
    if info.flag_bits & 0x1:
        raise _refused(label, f"{_shown(info.filename)} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refused(label, f"{_shown(info.filename)} uses an unsupported compression method")


def _check_member_size(info: zipfile.ZipInfo, label: str) -> None:
    limit = MEMBER_LIMITS[info.filename]
    if info.file_size > limit:
        raise _refused(label, f"{info.filename} unpacks to {info.file_size / MIB:.1f} MB, more than "
                              f"its limit of {limit / MIB:.0f} MB")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_COMPRESSION_RATIO:
        raise _refused(label, f"{info.filename} is compressed {ratio:.0f} to 1, like a zip bomb")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    # Never more than the declared size (checked above), however the data decompresses.
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise UserError(f"{label} is damaged ({info.filename} is not the size its zip entry says). "
                        f"Copy or export it again.")
    return data


# -- the manifest ----------------------------------------------------------------------------


def parse_manifest(data: bytes, label: str) -> TwinManifest:
    """The manifest's JSON, checked against the schema; a newer format says so."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UserError(f"{label} is damaged: its {MANIFEST_MEMBER} is not valid JSON. "
                        f"Copy or export it again.") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise UserError(f"{label} is not a Desktop Twin file (its {MANIFEST_MEMBER} does not say "
                        f"format {FORMAT!r}).")
    _check_format_version(raw.get("format_version"), label)
    try:
        return TwinManifest.model_validate(raw)
    except ValidationError as error:
        raise UserError(f"{label} is damaged: its {MANIFEST_MEMBER} does not fit the format "
                        f"({_schema_problems(error)}). Copy or export it again.") from None


def _schema_problems(error: ValidationError, count: int = 3) -> str:
    problems = [f"{_shown('.'.join(map(str, e['loc'])), 60) or 'manifest'}: "
                f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors()]
    more = f"; and {len(problems) - count} more" if len(problems) > count else ""
    return "; ".join(problems[:count]) + more


# -- the renderer ----------------------------------------------------------------------------


def check_renderer(data: bytes, renderer: RendererModel, label: str) -> None:
    """The ONNX model: self-contained, passing ONNX's checker, with the manifest's inputs and outputs."""
    expected = [1, 3, renderer.size, renderer.size]
    _check_model(data, renderer.file, label, renderer.opset,
                 {"input": (renderer.input, expected), "output": (renderer.output, expected)})


def check_audio_motion(data: bytes, audio_motion: AudioMotionModel, label: str) -> None:
    """The audio-to-motion ONNX model, checked as the renderer is, against its own manifest entry."""
    window = audio_motion.frames_before + 1 + audio_motion.frames_after
    _check_model(data, audio_motion.file, label, audio_motion.opset,
                 {"input": (audio_motion.input, [1, window, audio_motion.mel_bins]),
                  "output": (audio_motion.output, [1, len(audio_motion.points), 2])})


def _check_model(data: bytes, name: str, label: str, opset: int, interface: dict) -> None:
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        raise UserError(f"{label} is damaged: {name} is not an ONNX model. Copy or export it again.") from None
    if any(_is_external(tensor) for tensor in _model_tensors(model)):
        raise _refused(label, f"{name} refers to weights in files outside it (ONNX external data)")
    unknown = {node.op_type for node in model.graph.node} - SAFE_OPERATORS
    if unknown:
        shown = ", ".join(sorted(map(str, unknown)))  # (a damaged name may not even be text)
        raise _refused(label, f"{name} uses operators a twin never needs ({_shown(shown)})")
    try:
        # The full check infers every shape, so a graph whose real outputs differ from those it declares
        # is caught here rather than when the twin is played.
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError, ValueError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"{label} is damaged: {name} fails ONNX's model check ({_shown(first_line, 120)}). "
                        f"Copy or export it again.") from None
    problem = _interface_problem(model, opset, interface)
    if problem:
        raise UserError(f"{label} is damaged: {name} does not match its manifest ({problem}). "
                        f"Copy or export it again.")


def _interface_problem(model: onnx.ModelProto, opset: int, interface: dict) -> str | None:
    """What is wrong with a model's operators, inputs and outputs; interface: kind -> (name, shape)."""
    # Standard operators only: the checker cannot vouch for other domains' (runtime-specific) ones.
    domains = {o.domain for o in model.opset_import} - _STANDARD_DOMAINS
    if domains:
        return f"operators from {_shown(str(sorted(domains)))}, not standard ONNX"
    opsets = {o.version for o in model.opset_import}
    if opsets != {opset}:
        return f"opset {sorted(opsets)}, manifest says {opset}"
    graph = model.graph
    weights = {t.name for t in graph.initializer}
    values_of = {"input": [v for v in graph.input if v.name not in weights], "output": list(graph.output)}
    for kind, (wanted, expected) in interface.items():
        values = values_of[kind]
        if [v.name for v in values] != [wanted]:
            return f"{kind}s {_shown(str([v.name for v in values]))}, manifest says [{wanted!r}]"
        if _float_shape(values[0]) != expected:
            return f"{kind} shape {_float_shape(values[0])}, expected float {expected}"
    return None


def _float_shape(value: onnx.ValueInfoProto) -> list | None:
    tensor = value.type.tensor_type
    if tensor.elem_type != onnx.TensorProto.FLOAT:
        return None
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in tensor.shape.dim]


def _is_external(tensor: onnx.TensorProto) -> bool:
    return tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data) > 0


def _model_tensors(model: onnx.ModelProto):
    """Every tensor a model holds: initializers, and constants in node attributes, subgraphs and functions."""
    yield from _graph_tensors(model.graph)
    for function in model.functions:
        for node in function.node:
            yield from _node_tensors(node)


def _graph_tensors(graph: onnx.GraphProto):
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield from (sparse.values, sparse.indices)
    for node in graph.node:
        yield from _node_tensors(node)


def _node_tensors(node: onnx.NodeProto):
    for attribute in node.attribute:
        if attribute.HasField("t"):
            yield attribute.t
        yield from attribute.tensors
        sparse_tensors = list(attribute.sparse_tensors)
        if attribute.HasField("sparse_tensor"):
            sparse_tensors.append(attribute.sparse_tensor)
        for sparse in sparse_tensors:
            yield from (sparse.values, sparse.indices)
        graphs = list(attribute.graphs)
        if attribute.HasField("g"):
            graphs.append(attribute.g)
        for graph in graphs:
            yield from _graph_tensors(graph)


# -- the images ------------------------------------------------------------------------------


def _decode_png(data: bytes, name: str, label: str, max_width: int, max_height: int,
                exact: bool = False, min_side: int = 1) -> np.ndarray:
    """An RGB image, its size read from the PNG header before anything is decoded (a tiny PNG can
    claim to be gigapixels)."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise UserError(f"{label} is damaged: {name} is not a PNG image. Copy or export it again.")
    width, height = struct.unpack(">II", data[16:24])
    too_big = width > max_width or height > max_height
    too_small = min(width, height) < min_side
    if not width or not height or too_big or too_small or (exact and (width, height) != (max_width, max_height)):
        wanted = (f"{max_width}x{max_height}" if exact else f"at most {max_width}x{max_height}"
                  + (f" and at least {min_side}x{min_side}" if min_side > 1 else ""))
        raise _refused(label, f"{name} is {width}x{height} pixels; it should be {wanted}")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.shape[:2] != (height, width):
        raise UserError(f"{label} is damaged: {name} cannot be decoded. Copy or export it again.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
