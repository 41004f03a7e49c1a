"""What the application remembers between runs, stored as values (a preset's name, a device's
name, a folder's path), never as positions in a list that may change."""

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "desktop-twin"
APPLICATION = "desktop-twin"


def default_store() -> QSettings:
    """The user's settings file (~/.config/desktop-twin/desktop-twin.ini on Linux)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


class AppSettings:
    """Typed access to a QSettings store; tests give it a store of their own."""

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else default_store()

    def _text(self, key: str, default: str = "") -> str:
        value = self.store.value(key, default)
        return value if isinstance(value, str) else default

    def _int(self, key: str, default: int = 0) -> int:
        try:
            return int(self.store.value(key, default))
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value) -> None:
        self.store.setValue(key, value)

    # -- window ---------------------------------------------------------------------------------

    @property
    def window_geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._set("window/geometry", value)

    @property
    def page(self) -> str:
        return self._text("window/page", "library")

    @page.setter
    def page(self, value: str) -> None:
        self._set("window/page", value)

    @property
    def twin(self) -> str:
        """The twin chosen last."""
        return self._text("window/twin")

    @twin.setter
    def twin(self, value: str) -> None:
        self._set("window/twin", value)

    # -- devices and jobs -----------------------------------------------------------------------

    @property
    def camera(self) -> str:
        """A camera index ("0") or a video file's path standing in for a camera."""
        return self._text("devices/camera")

    @camera.setter
    def camera(self, value: str) -> None:
        self._set("devices/camera", value)

    @property
    def microphone(self) -> str:
        return self._text("devices/microphone")

    @microphone.setter
    def microphone(self, value: str) -> None:
        self._set("devices/microphone", value)

    @property
    def preview_source(self) -> str:
        return self._text("devices/preview_source")

    @preview_source.setter
    def preview_source(self, value: str) -> None:
        self._set("devices/preview_source", value)

    @property
    def preset(self) -> str:
        """The preset the person chose; empty until they choose one (the page then suggests one)."""
        return self._text("train/preset")

    @preset.setter
    def preset(self, value: str) -> None:
        self._set("train/preset", value)

    @property
    def train_device(self) -> str:
        return self._text("train/device", "auto")

    @train_device.setter
    def train_device(self, value: str) -> None:
        self._set("train/device", value)

    @property
    def train_steps(self) -> int:
        """The most steps a run takes; 0: as many as the preset says."""
        return self._int("train/steps")

    @train_steps.setter
    def train_steps(self, value: int) -> None:
        self._set("train/steps", int(value))

    @property
    def train_minutes(self) -> int | None:
        """A run's time limit as the person set it (0: none); None until they set one."""
        return self._int("train/minutes") if self.store.contains("train/minutes") else None

    @train_minutes.setter
    def train_minutes(self, value: int) -> None:
        self._set("train/minutes", int(value))

    @property
    def learn_to_speak(self) -> bool:
        return self._int("train/speech", 1) == 1

    @learn_to_speak.setter
    def learn_to_speak(self, value: bool) -> None:
        self._set("train/speech", 1 if value else 0)

    @property
    def interrupted_training(self) -> str:
        """The twin whose training was running when the app last closed ("" when none)."""
        return self._text("train/interrupted")

    @interrupted_training.setter
    def interrupted_training(self, value: str) -> None:
        self._set("train/interrupted", value)

    @property
    def last_folder(self) -> str:
        folder = self._text("folders/last")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        path = Path(value)
        self._set("folders/last", str(path if path.is_dir() else path.parent))

    def sync(self) -> None:
        self.store.sync()
