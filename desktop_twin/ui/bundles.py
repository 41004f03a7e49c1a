"""Each trained twin's .twin file, built once per checkpoint in the background and kept in the
twin's folder: the preview runs it, the export tile and the cards offer it for dragging."""

import os
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_twin.errors import UserError
from desktop_twin.store import TwinProject
from desktop_twin.store.atomic import remove_leftovers
from desktop_twin.ui.twins import bundle_is_current, bundle_path, is_trained
from desktop_twin.ui.workers import ProcessWorker, WorkerPool, describe_fraction


class TwinBundles(QObject):
    ready = Signal(str, str)  # twin name, path of its .twin file
    failed = Signal(str)  # twin name

    def __init__(self, pool: WorkerPool, measure_quality: bool = True):
        super().__init__()
        self.pool = pool
        self.measure_quality = measure_quality
        self._building: dict[str, ProcessWorker] = {}
        self._drag_folder = tempfile.TemporaryDirectory(prefix="desktop-twin-drag-")

    def current(self, project: TwinProject) -> Path | None:
        return bundle_path(project) if bundle_is_current(project) else None

    def building(self, name: str) -> bool:
        return name in self._building

    def ensure(self, project: TwinProject) -> Path | None:
        """The twin's .twin file when it is up to date; else start making it and return None
        (ready or failed follows). A twin with nothing to export raises UserError."""
        path = self.current(project)
        if path is not None:
            return path
        if not is_trained(project):
            raise UserError(f"{project.name} has no trained model yet: train it first (the Train page).")
        if project.name not in self._building:
            target = bundle_path(project)
            target.parent.mkdir(parents=True, exist_ok=True)
            # What a build killed mid-write left (store.atomic's temporary files); none of this
            # twin's is being written now, as this is the one place that builds it.
            remove_leftovers(target.parent, f".{target.name}.*.tmp")
            worker = ProcessWorker("export", (str(project.path), str(target), self.measure_quality),
                                   "getting the twin's file ready", project.name, "exporting")
            worker.result.connect(lambda path, name=project.name: self._on_built(name, path))
            worker.failure.connect(lambda _report, name=project.name: self._on_failed(name))
            self._building[project.name] = worker
            self.pool.start(worker, describe_fraction)
        return None

    def file_for_drag(self, project: TwinProject) -> Path | None:
        """A copy of the current .twin in a folder of its own, named NAME.twin, for a drag to offer
        (the drop target copies or moves it; the twin's own file stays where it is)."""
        path = self.current(project)
        if path is None:
            return None
        folder = Path(tempfile.mkdtemp(dir=self._drag_folder.name))
        offered = folder / f"{project.name}.twin"
        try:
            os.link(path, offered)
        except OSError:
            shutil.copy2(path, offered)
        return offered

    def _on_built(self, name: str, path: str) -> None:
        self._building.pop(name, None)
        self.ready.emit(name, path)

    def _on_failed(self, name: str) -> None:
        self._building.pop(name, None)
        self.failed.emit(name)

    def close(self) -> None:
        self._drag_folder.cleanup()
