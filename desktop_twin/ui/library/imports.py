"""Files dropped on the window (or chosen with Import…): a video starts a twin (import, then
prepare, in the background); a .twin file is checked through and through, then added."""

import shutil
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal

from desktop_twin.errors import UserError
from desktop_twin.store import (
    create_project, data_root, delete_project, list_projects, open_project, validate_name)
from desktop_twin.ui.context import AppContext
from desktop_twin.ui.twins import EXPORTS_FOLDER, TWIN_SUFFIX
from desktop_twin.ui.workers import ProcessWorker, ThreadWorker, describe_fraction

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"}
_NAME_REPLACEMENTS = str.maketrans({c: "-" for c in '/\\:*?"<>|'})


def droppable_files(urls: list[QUrl]) -> list[Path]:
    """The local videos and .twin files among dropped URLs."""
    paths = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in VIDEO_SUFFIXES | {TWIN_SUFFIX}]


def unused_name(wanted: str) -> str:
    """A valid twin name like wanted that no twin has yet: "Ann", then "Ann 2", "Ann 3"…"""
    base = wanted.translate(_NAME_REPLACEMENTS).strip().lstrip(".")[:60] or "Twin"
    try:
        base = validate_name(base)
    except UserError:
        base = "Twin"
    taken = {p.path.name.casefold() for p in list_projects()}
    root = data_root()
    taken |= {p.name.casefold() for p in root.iterdir()} if root.is_dir() else set()
    name, number = base, 2
    while name.casefold() in taken:
        name, number = f"{base} {number}", number + 1
    return name


class TwinImporter(QObject):
    created = Signal(str)  # a new twin from an import: it is on disk (its footage may be on the way)
    imported = Signal(str)  # the twin's name: its footage is prepared, or its .twin file added

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context

    def import_file(self, path: Path) -> None:
        path = Path(path)
        if path.suffix.lower() == TWIN_SUFFIX:
            self.import_twin_file(path)
        else:
            self.import_video(path)

    def import_video(self, video: Path) -> str:
        """Start a twin from a video: a new twin named after the file, the video copied into it,
        then prepared. Returns the new twin's name."""
        project = create_project(unused_name(Path(video).stem))
        copy = ThreadWorker(lambda emit, cancel: _copy_footage(project.name, video, emit, made_for_it=True),
                            "importing the video", project.name, "importing")
        copy.result.connect(lambda _entry, name=project.name: self._prepare(name))
        self.context.pool.start(copy, describe_fraction)
        self.created.emit(project.name)
        return project.name

    def add_video(self, name: str, video: Path) -> None:
        """Add a video to an existing twin's footage (film made earlier, say), then prepare it again."""
        copy = ThreadWorker(lambda emit, cancel: _copy_footage(name, video, emit), "adding the video",
                            name, "importing")
        copy.result.connect(lambda _entry: self._prepare(name))
        self.context.pool.start(copy, describe_fraction)

    def add_take(self, name: str, take) -> None:
        """Add a take left in the twin's recordings (a capture.left_takes.LeftTake) to its footage,
        then prepare it again."""
        copy = ThreadWorker(lambda emit, cancel: _add_take(name, take, emit), "adding the take", name, "importing")
        copy.result.connect(lambda _entry: self._prepare(name))
        self.context.pool.start(copy, describe_fraction)

    def prepare(self, name: str) -> ProcessWorker:
        return self._prepare(name)

    def _prepare(self, name: str) -> ProcessWorker:
        project = open_project(name)
        worker = ProcessWorker("prepare", (str(project.path),), "preparing the footage", name, "preparing")
        worker.result.connect(lambda _warnings, n=name: self.imported.emit(n))
        self.context.pool.start(worker, describe_fraction)
        return worker

    def import_twin_file(self, path: Path) -> None:
        worker = ThreadWorker(lambda emit, cancel: _add_twin_file(Path(path)), "importing the .twin file",
                              activity="importing")
        worker.result.connect(self.created.emit)
        worker.result.connect(self.imported.emit)
        self.context.pool.start(worker)


def _add_take(name: str, take, emit):
    from desktop_twin.capture.left_takes import take_video
    from desktop_twin.ui.process_jobs import Fraction

    combining = "Turning the take into one video file"
    emit(Fraction(0.0, combining))
    return _copy_footage(name, take_video(take, lambda done: emit(Fraction(done, combining))), emit)


def _copy_footage(name: str, video: Path, emit, made_for_it: bool = False):
    """Copy a video into a twin's footage. A twin made for this video alone (made_for_it) goes away
    again when the video cannot be added; any other twin is left as it was (its consent, its takes)."""
    from desktop_twin.capture.footage import import_footage
    from desktop_twin.ui.process_jobs import Fraction

    emit(Fraction(0.0, f"Copying {Path(video).name}"))
    project = open_project(name)
    try:
        return import_footage(project, Path(video))
    except BaseException:
        if made_for_it:
            delete_project(project)
        raise


def _add_twin_file(path: Path) -> str:
    """Read and check a .twin file, then keep it as a new twin; the twin's name."""
    try:
        from desktop_twin.export.bundle import read_twin
    except ImportError as error:
        raise UserError(f"This version of Desktop Twin cannot read .twin files ({error}).") from None
    bundle = read_twin(path)  # refuses anything damaged, hostile or from a newer version
    project = create_project(unused_name(bundle.manifest.name))
    folder = project.path / EXPORTS_FOLDER
    folder.mkdir()
    partial = folder / f".{project.name}{TWIN_SUFFIX}.partial"
    try:
        shutil.copyfile(path, partial)
        partial.rename(folder / f"{project.name}{TWIN_SUFFIX}")
    except OSError as error:
        partial.unlink(missing_ok=True)
        delete_project(project)  # made for this file alone
        raise UserError(f"Cannot copy {path.name} into the library: {error.strerror or error}.") from None
    return project.name
