"""The cameras and microphones on this machine, probed on a worker thread (opening a camera to
measure it takes a while), and the pickers that offer them; the file dialog that picks a video
or a sound to use."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from desktop_twin.ui.settings import AppSettings
from desktop_twin.ui.workers import ThreadWorker, WorkerPool

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.mpg *.mpeg);;All files (*)"
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aac", ".opus"}
AUDIO_FILTER = "Sound (" + " ".join(f"*{s}" for s in sorted(AUDIO_SUFFIXES)) + ")"
CHOOSE_FILE = "__choose_file__"


def ask_open_file(parent: QWidget, settings: AppSettings, title: str, filters: str) -> Path | None:
    """A file chosen in a dialog that opens in the folder the last one came from, which it then
    remembers; None when the person cancels."""
    path, _ = QFileDialog.getOpenFileName(parent, title, settings.last_folder, filters)
    if not path:
        return None
    settings.last_folder = path
    return Path(path)


def probe_devices(emit, cancel) -> tuple[list, list]:
    # Imported here: sounddevice starts PortAudio, which probes every sound device.
    from desktop_twin.capture.cameras import list_cameras
    from desktop_twin.capture.microphones import list_microphones

    return list_cameras(), list_microphones(rescan=True)


class DeviceCatalog(QObject):
    changed = Signal()  # a probe began or ended: what was found, and whether the devices are free to open

    def __init__(self, pool: WorkerPool):
        super().__init__()
        self.pool = pool
        self.cameras: list = []
        self.microphones: list = []
        self.probed = False
        self._worker: ThreadWorker | None = None

    def refresh(self) -> None:
        if self._worker is not None:
            return
        self._worker = ThreadWorker(probe_devices, "looking for cameras and microphones")
        self._worker.result.connect(self._on_result)
        self._worker.finished.connect(self._on_finished)
        self.pool.start(self._worker)
        self.changed.emit()  # what opens a camera or a microphone waits: the probe opens them all

    @property
    def probing(self) -> bool:
        return self._worker is not None

    def ensure_probed(self) -> None:
        if not self.probed:
            self.refresh()

    def _on_result(self, found) -> None:
        self.cameras, self.microphones = found
        self.probed = True

    def _on_finished(self) -> None:
        self._worker = None
        self.changed.emit()  # after `probing` turns false, so what waited for the probe can go on


class CameraPicker(QComboBox):
    """Cameras by name, a video file standing in for one, and "Video file…" to choose another.
    The value is a camera index ("0") or a file's path: what open_camera takes."""

    source_changed = Signal(str)

    def __init__(self, catalog: DeviceCatalog, remembered: str, accessible_name: str,
                 choose_file: Callable[[QWidget], str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self._choose_file = choose_file or _ask_for_video
        self._file = remembered if remembered and Path(remembered).is_file() else ""
        self._wanted = remembered
        self.setAccessibleName(accessible_name)
        self.setMinimumContentsLength(24)
        catalog.changed.connect(self._rebuild)
        self.activated.connect(self._on_activated)
        self._rebuild()

    def source(self) -> str:
        value = self.currentData()
        return value if value and value != CHOOSE_FILE else ""

    def use_file(self, path: str | Path) -> None:
        """Choose a video file as the camera."""
        self._file = str(path)
        self._wanted = self._file
        self._rebuild()
        self.source_changed.emit(self._file)

    def _rebuild(self) -> None:
        self.blockSignals(True)
        self.clear()
        for camera in self.catalog.cameras:
            self.addItem(f"{camera.name} ({camera.width}×{camera.height}, {camera.fps:g} fps)", str(camera.index))
        if self._file:
            self.addItem(f"Video file: {Path(self._file).name}", self._file)
        if self.count() == 0:
            self.addItem("No camera found" if self.catalog.probed else "Looking for cameras…", "")
        self.insertSeparator(self.count())
        self.addItem("Video file…", CHOOSE_FILE)
        index = self.findData(self._wanted)
        self.setCurrentIndex(index if index >= 0 and self._wanted else 0)
        self.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        if self.itemData(index) == CHOOSE_FILE:
            path = self._choose_file(self)
            if path:
                self.use_file(path)
            else:
                self._rebuild()
            return
        self._wanted = self.currentData() or ""
        self.source_changed.emit(self.source())


class MicrophonePicker(QComboBox):
    """Microphones by name (the value kept), the system's default first."""

    name_changed = Signal(str)

    def __init__(self, catalog: DeviceCatalog, remembered: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self._wanted = remembered
        self.setAccessibleName("Microphone")
        self.setMinimumContentsLength(24)
        catalog.changed.connect(self._rebuild)
        self.activated.connect(lambda _i: self._on_chosen())
        self._rebuild()

    def microphone(self) -> str:
        return self.currentData() or ""

    def choose(self, name: str) -> None:
        self._wanted = name
        self._rebuild()
        self._on_chosen()

    def _rebuild(self) -> None:
        self.blockSignals(True)
        self.clear()
        microphones = sorted(self.catalog.microphones, key=lambda m: not m.is_default)
        for mic in microphones:
            self.addItem(f"{mic.name}{'  (default)' if mic.is_default else ''}", mic.name)
        if not microphones:
            self.addItem("No microphone found" if self.catalog.probed else "Looking for microphones…", "")
        index = self.findData(self._wanted) if self._wanted else -1
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)

    def _on_chosen(self) -> None:
        if self.microphone():
            self._wanted = self.microphone()
        self.name_changed.emit(self.microphone())


def _ask_for_video(parent: QWidget) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "Choose a video to use as the camera", "", VIDEO_FILTER)
    return path
