"""Drag and drop for real, on an Xvfb display: the application and a stand-in file manager run
as separate processes (separate X clients), and the pointer is moved and pressed through the X
server's XTEST extension. The drags go through Qt's XDND implementation and the X server, as
they would between the app and a real file manager. What is not real: the file manager is a
small Qt window that copies what is dropped on it (as file managers do).

This process stays on the offscreen platform (Qt picks its platform once per process); only the
child processes talk to the X display.
"""

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from desktop_twin.export.bundle import read_twin
from desktop_twin.store import list_projects
from tests.conftest import REPO, shared_file
from tests.ui.conftest import FILE_CAMERA, TWIN

APP_AT = (0, 0)
FILE_MANAGER_AT = (1000, 100)


class Child:
    """A child program on the X display whose JSON-line reports the test waits for."""

    def __init__(self, display: str, module: str, *args: str, env: dict | None = None):
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))
        self.lines.put({"event": "exited"})

    def expect(self, event: str, timeout: float) -> dict:
        while True:
            try:
                message = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {event!r} within {timeout:g} s; saw {self.seen}") from None
            self.seen.append(message)
            if message["event"] == event:
                return message
            if message["event"] in ("exited", "timeout"):
                raise AssertionError(f"ended before {event!r}: {self.seen}\n{self.stderr()}")

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def finish(self, timeout: float = 30) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(5)


def drag(display: str, start, end) -> None:
    subprocess.run([sys.executable, "-m", "tests.ui.x11.pointer", "drag", *map(str, (*start, *end))], cwd=REPO,
                   env={**os.environ, "DISPLAY": display}, check=True, timeout=60)


@pytest.fixture
def app_env(fresh_data_root, tmp_path):
    return {"DESKTOP_TWIN_HOME": str(fresh_data_root), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_dragging_a_twins_card_to_a_folder_leaves_a_twin_file_there(xvfb_display, ready_twin, app_env, tmp_path):
    folder = tmp_path / "Desktop"
    folder.mkdir()
    app = Child(xvfb_display, "tests.ui.x11.app_window", str(tmp_path / "settings.ini"), *map(str, APP_AT), TWIN,
                env=app_env)
    files = Child(xvfb_display, "tests.ui.x11.file_manager", "receive", str(folder), *map(str, FILE_MANAGER_AT))
    try:
        card = app.expect("ready", 60)["card"]
        target = files.expect("ready", 30)["at"]
        drag(xvfb_display, card, target)
        dropped = files.expect("dropped", 30)
        assert dropped["files"] == [f"{TWIN}.twin"] and "text/uri-list" in dropped["formats"]
        assert "CopyAction" in app.expect("dragged", 30)["action"]
    finally:
        files.finish()
        app.process.terminate()
        app.finish()
    bundle = read_twin(folder / f"{TWIN}.twin")  # a complete, valid twin, not a link or a stub
    assert bundle.manifest.name == TWIN
    assert (ready_twin / "exports" / f"{TWIN}.twin").is_file()  # the twin's own file stays


def test_a_card_dropped_back_on_the_app_is_not_imported_as_a_second_twin(xvfb_display, ready_twin, app_env, tmp_path):
    app = Child(xvfb_display, "tests.ui.x11.app_window", str(tmp_path / "settings.ini"), *map(str, APP_AT), TWIN,
                env=app_env)
    try:
        ready = app.expect("ready", 60)
        drag(xvfb_display, ready["card"], ready["window"])  # the drag offers the twin's own file
        assert "IgnoreAction" in app.expect("dragged", 30)["action"]
    finally:
        app.process.terminate()
        app.finish()
    assert [p.name for p in list_projects()] == [TWIN]


def test_dropping_a_video_from_a_file_manager_starts_a_twin(xvfb_display, app_env, fresh_data_root, tmp_path):
    clip = shared_file(FILE_CAMERA)
    app = Child(xvfb_display, "tests.ui.x11.app_window", str(tmp_path / "settings.ini"), *map(str, APP_AT),
                env=app_env)
    files = Child(xvfb_display, "tests.ui.x11.file_manager", "offer", str(clip), *map(str, FILE_MANAGER_AT))
    try:
        window = app.expect("ready", 60)["window"]
        source = files.expect("ready", 30)["at"]
        drag(xvfb_display, source, window)
        assert files.expect("drag-finished", 30)["action"] == 1  # Qt.CopyAction: the app took the file
        imported = app.expect("imported", 90)
    finally:
        files.finish()
        app.finish(60)
    assert imported == {"event": "imported", "name": clip.stem, "status": "prepared"}
    assert [p.name for p in list_projects()] == [clip.stem]
    assert Path(clip).is_file()  # copied into the twin, never moved
