"""The twin the person is working on, and where each twin stands on the user's path."""

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_twin.errors import UserError
from desktop_twin.store import TwinProject, open_project

EXPORTS_FOLDER = "exports"
TWIN_SUFFIX = ".twin"
SPEECH_CHECKPOINT = "audio_motion.pt"  # training.speech_training.CHECKPOINT (the UI does not import torch's side)
# The statuses a card shows, in the order a twin goes through them.
STATUSES = ("empty", "recorded", "prepared", "training", "ready")
STATUS_TEXT = {
    "empty": "No footage yet",
    "recorded": "Recorded",
    "prepared": "Prepared",
    "training": "Training",
    "ready": "Ready",
}


def bundle_path(project: TwinProject) -> Path:
    """Where the twin's current .twin file is kept, inside its project folder."""
    return project.path / EXPORTS_FOLDER / f"{project.name}{TWIN_SUFFIX}"


def best_checkpoint(project: TwinProject) -> Path:
    return project.checkpoints_dir / "best.pt"


def bundle_is_current(project: TwinProject) -> bool:
    """True when the .twin file exists and is not older than any checkpoint it is made from:
    the best renderer and the speaking model (learnt after the renderer, or alone on a later run)."""
    bundle = bundle_path(project)
    if not bundle.is_file():
        return False
    made_from = [best_checkpoint(project), project.checkpoints_dir / SPEECH_CHECKPOINT]
    built = bundle.stat().st_mtime_ns
    return all(built >= path.stat().st_mtime_ns for path in made_from if path.is_file())


def is_trained(project: TwinProject) -> bool:
    return best_checkpoint(project).is_file()


def has_a_model(project: TwinProject) -> bool:
    """Trained here, or added as a .twin file: something to run live or export."""
    return is_trained(project) or bundle_path(project).is_file()


def twin_status(project: TwinProject, activity: str | None = None) -> str:
    """One of STATUSES: training while a training job runs, ready once there is a twin to run."""
    if activity == "training":
        return "training"
    if is_trained(project) or bundle_path(project).is_file():
        return "ready"
    return project.manifest.status


def can_train(project: TwinProject) -> bool:
    return project.manifest.status == "prepared"


class TwinSelection(QObject):
    """The twin chosen in the library, which the other pages work on."""

    changed = Signal(object)  # TwinProject or None

    def __init__(self):
        super().__init__()
        self.project: TwinProject | None = None

    @property
    def name(self) -> str | None:
        return self.project.name if self.project else None

    def select(self, name: str | None) -> None:
        project = None
        if name:
            try:
                project = open_project(name)
            except UserError:
                project = None
        self.project = project
        self.changed.emit(project)

    def reload(self) -> None:
        """Read the chosen twin again from disk (after a job changed it)."""
        self.select(self.name)
