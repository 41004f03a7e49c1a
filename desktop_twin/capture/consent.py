"""The consent record: the person reads a statement on camera before the first take.

The clip is kept apart from the footage (it is never trained on), in the recording's
consent/ folder, and sealed by its SHA-256 in consent.json, which the .twin manifest
later carries, so a twin can show that its person agreed to it.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.footage import file_sha256
from desktop_twin.capture.recording_reader import open_recording
from desktop_twin.store.atomic import atomic_write_json
from desktop_twin.store.manifest import utc_now

CONSENT_FOLDER = "consent"
CONSENT_CLIP = "consent.mp4"
CONSENT_RECORD = "consent.json"


@dataclass(frozen=True)
class ConsentRecord:
    name: str
    statement: str
    recorded: str  # UTC, ISO 8601
    clip: str  # the clip's file name, beside the record
    sha256: str  # of the clip
    seconds: float


def seal_consent(take_folder: Path, name: str, statement: str) -> ConsentRecord:
    """Turn the consent take into consent.mp4, hash it and write consent.json beside it."""
    take_folder = Path(take_folder)
    clip = combine_recording(take_folder, take_folder / CONSENT_CLIP)
    record = ConsentRecord(
        name=name,
        statement=statement,
        recorded=utc_now().isoformat(),
        clip=clip.name,
        sha256=file_sha256(clip),
        seconds=_seconds(take_folder),
    )
    atomic_write_json(take_folder / CONSENT_RECORD, asdict(record))
    return record


def read_consent(path: Path) -> ConsentRecord:
    return ConsentRecord(**json.loads(Path(path).read_text(encoding="utf-8")))


def find_consent(recordings_dir: Path) -> ConsentRecord | None:
    """The newest consent record among a project's recordings whose clip still matches its hash."""
    for path in sorted(Path(recordings_dir).glob(f"*/{CONSENT_FOLDER}/{CONSENT_RECORD}"), reverse=True):
        try:
            record = read_consent(path)
        except (OSError, ValueError, TypeError):
            continue
        clip = path.parent / record.clip
        if clip.is_file() and file_sha256(clip) == record.sha256:
            return record
    return None


def _seconds(take_folder: Path) -> float:
    return round(open_recording(take_folder).seconds, 2)
