"""The project manifest: a versioned, validated record of what a twin project holds."""

import json
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from desktop_twin import __version__
from desktop_twin.errors import UserError
from desktop_twin.store.atomic import atomic_write_text

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FootageEntry(_Record):
    file: str = Field(description="name of the copy under footage/")
    source_name: str = Field(description="the imported file's original name")
    sha256: str
    imported: datetime
    frames: int = Field(ge=0)
    fps: float = Field(gt=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    duration_seconds: float = Field(ge=0)
    has_audio: bool


class PreparedSummary(_Record):
    prepared: datetime
    footage_sha256: list[str] = Field(description="the footage this data was prepared from")
    crop_size: int = Field(gt=0)
    frames: int = Field(ge=0)
    frames_with_face: int = Field(ge=0)
    duration_seconds: float = Field(ge=0)
    speech_seconds: float = Field(ge=0)
    warnings: list[str] = []


class ProjectManifest(_Record):
    schema_version: int = SCHEMA_VERSION
    name: str
    created: datetime = Field(default_factory=utc_now)
    app_version: str = __version__
    footage: list[FootageEntry] = []
    prepared: PreparedSummary | None = None

    @property
    def status(self) -> str:
        """Where the twin stands on the user's path: empty, recorded or prepared."""
        if self.prepared and self.prepared.footage_sha256 == [f.sha256 for f in self.footage]:
            return "prepared"
        return "recorded" if self.footage else "empty"


def load_manifest(path: Path) -> ProjectManifest:
    """Read and validate a manifest; a newer or damaged one gets a clear UserError."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path} is missing: this folder is not a twin project.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"The project manifest {path} cannot be read ({error}).") from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UserError(
            f"{path} was made by a newer version of Desktop Twin (project format {version}, "
            f"this version reads up to {SCHEMA_VERSION}). Update Desktop Twin to open it."
        )
    try:
        return ProjectManifest.model_validate(raw)
    except ValidationError as error:
        raise UserError(f"The project manifest {path} is damaged ({_first_problems(error)}). Put back a copy "
                        f"of it, or make a new twin and import the videos kept in "
                        f"{Path(path).parent / 'footage'}.") from None


def _first_problems(error: ValidationError, shown: int = 3) -> str:
    """"footage.0.sha256: Field required; …; and 4 more": where and what, without pydantic's links."""
    problems = [f"{'.'.join(map(str, e['loc'])) or 'the whole file'}: {e['msg']}" for e in error.errors()]
    more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
    return "; ".join(problems[:shown]) + more


def save_manifest(path: Path, manifest: ProjectManifest) -> None:
    atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")
