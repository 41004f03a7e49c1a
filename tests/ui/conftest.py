"""Fixtures for the interface's tests: a fresh settings file and application context per test,
real twins made once per session from real footage, a heartbeat that measures how long the
interface thread stalls, an Xvfb display for the drag-and-drop tests, and a check that fails
any test which leaves a thread, a process or a timer running behind it.

Widgets run offscreen (tests/conftest.py sets QT_QPA_PLATFORM). Drag and drop needs a real
window system, so those tests run their windows in child processes on an Xvfb display
(see test_drag_and_drop_x11.py); Qt picks its platform once per process, so this process
stays offscreen.
"""

import gc
import multiprocessing
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QThread, QTimer
from PySide6.QtWidgets import QApplication

from tests.capture.conftest import _die_with_parent, pulse_rig  # noqa: F401  (the virtual microphone)
from tests.conftest import shared_file

FILE_CAMERA = "talking/t05_man_in_suit_6s.mp4"
TWIN = "suit"
LEFTOVER_GRACE_SECONDS = 15.0
STALLS: dict[str, float] = {}  # test -> longest interface stall measured, ms (printed at the end)


# -- nothing left behind ---------------------------------------------------------------------------


def _running_qthreads() -> list:
    found = []
    for thing in gc.get_objects():
        if issubclass(type(thing), QThread):  # type(), not isinstance: no __class__ lookups
            try:
                if thing.isRunning():
                    found.append(thing)
            except RuntimeError:  # its C++ side is gone: not running
                continue
    return found


def _active_timers() -> list:
    found = []
    for thing in gc.get_objects():
        if issubclass(type(thing), QTimer):
            try:
                if thing.isActive():
                    found.append(thing)
            except RuntimeError:
                continue
    return found


def _python_threads(baseline: set) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.ident not in baseline and t.is_alive() and not isinstance(t, threading._DummyThread)]


@pytest.fixture(autouse=True)
def nothing_left_running(request):
    """Fails the test if a QThread, a Python thread, a child process or an active QTimer outlives it."""
    baseline = {t.ident for t in threading.enumerate()}
    yield
    app = QApplication.instance()
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while True:
        if app is not None:
            app.processEvents()
        threads, qthreads = _python_threads(baseline), _running_qthreads()
        children = multiprocessing.active_children()
        if not (threads or qthreads or children) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    timers = _active_timers()
    problems = [f"QThread {type(t).__name__} still running" for t in qthreads]
    problems += [f"thread {t.name!r} still running" for t in threads]
    problems += [f"process {p.name!r} still running" for p in children]
    problems += [f"QTimer (interval {t.interval()} ms) still active" for t in timers]
    for timer in timers:
        timer.stop()
    for process in children:
        process.kill()
    if problems:
        pytest.fail("left behind: " + "; ".join(problems), pytrace=False)


# -- settings, context, window ----------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path):
    from desktop_twin.ui.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def context(qapp, settings):
    from desktop_twin.ui.context import AppContext

    made = AppContext.create(settings)
    yield made
    made.shutdown()


@pytest.fixture
def short_script():
    """The real guided script with a 2 s consent statement, so a take fits in a test."""
    from desktop_twin.capture.prompts import load_script

    script = load_script()
    return script.model_copy(update={"consent": script.consent.model_copy(update={"seconds": 2.0})})


@pytest.fixture
def window(qtbot, context, short_script):
    from desktop_twin.ui.main_window import MainWindow

    made = MainWindow(context, short_script)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.close()


# -- real twins, made once per session ---------------------------------------------------------------


@pytest.fixture(scope="session")
def twin_templates(tmp_path_factory):
    """Folders holding the twin "suit" at three stages, made from real footage by the core jobs:
    prepared (import + prepare), trained (3 draft steps on the CPU), ready (and exported)."""
    from desktop_twin.capture.footage import import_footage
    from desktop_twin.face.prepare import prepare_project
    from desktop_twin.store import create_project

    clip = shared_file(FILE_CAMERA)
    base = tmp_path_factory.mktemp("twin-templates")
    prepared = base / "prepared"
    project = create_project(TWIN, prepared)
    import_footage(project, clip)
    prepare_project(project)
    return {"prepared": prepared, "base": base}


@pytest.fixture(scope="session")
def trained_template(twin_templates):
    from desktop_twin.store import open_project
    from desktop_twin.training.trainer import TrainJob

    trained = twin_templates["base"] / "trained"
    shutil.copytree(twin_templates["prepared"], trained)
    TrainJob(open_project(TWIN, trained), "draft", "cpu", steps=3).run()
    return trained


BUNDLE_BUILD: dict = {}  # what the interface's export worker reported while making the session's .twin


@pytest.fixture(scope="session")
def ready_template(qapp, twin_templates, trained_template):
    """The trained twin with its .twin file, made on demand by the interface's own export worker
    (TwinBundles.ensure: the exporter in a child process), once per session."""
    from PySide6.QtCore import QEventLoop

    from desktop_twin.store import open_project
    from desktop_twin.ui.bundles import TwinBundles
    from desktop_twin.ui.errors import ErrorRelay
    from desktop_twin.ui.twins import bundle_is_current, bundle_path
    from desktop_twin.ui.workers import WorkerPool

    pytest.importorskip("desktop_twin.export.twin_export", reason="the .twin exporter is not there yet")
    ready = twin_templates["base"] / "ready"
    shutil.copytree(trained_template, ready)
    project = open_project(TWIN, ready)
    errors = ErrorRelay()
    pool = WorkerPool(errors)
    bundles = TwinBundles(pool)
    loop = QEventLoop()
    BUNDLE_BUILD.update(progress=[], failures=[], ready=None)
    pool.activity_progress.connect(lambda _name, _activity, fraction: BUNDLE_BUILD["progress"].append(fraction))
    errors.reported.connect(lambda report: BUNDLE_BUILD["failures"].append(report))
    bundles.ready.connect(lambda _name, path: BUNDLE_BUILD.update(ready=path))
    bundles.ready.connect(loop.quit)
    bundles.failed.connect(loop.quit)
    killed_build = bundle_path(project).parent / f".{TWIN}.twin.k1lled.tmp"  # as a build killed mid-write leaves
    killed_build.parent.mkdir(parents=True, exist_ok=True)
    killed_build.write_bytes(b"PK")
    started = time.monotonic()
    assert bundles.ensure(project) is None  # nothing yet: it is being made
    assert not killed_build.exists()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(240_000)
    loop.exec()
    deadline.stop()
    BUNDLE_BUILD["seconds"] = time.monotonic() - started
    pool.shutdown()
    bundles.close()
    if not bundle_is_current(project):
        pytest.fail(f"the .twin file was not made: {[r.message for r in BUNDLE_BUILD['failures']]}")
    return ready


def _install(template: Path, root: Path) -> Path:
    shutil.copytree(template / TWIN, root / TWIN)
    return root / TWIN


@pytest.fixture
def prepared_twin(twin_templates, fresh_data_root):
    return _install(twin_templates["prepared"], fresh_data_root)


@pytest.fixture
def trained_twin(trained_template, fresh_data_root):
    return _install(trained_template, fresh_data_root)


@pytest.fixture
def ready_twin(ready_template, fresh_data_root):
    return _install(ready_template, fresh_data_root)


@pytest.fixture
def twin_file(ready_template):
    """A real .twin file, written by the exporter."""
    from desktop_twin.store import open_project
    from desktop_twin.ui.twins import bundle_path

    return bundle_path(open_project(TWIN, ready_template))


# -- how long the interface thread stalls -----------------------------------------------------------


class Heartbeat:
    """A 10 ms timer on the interface thread; the longest gap between its ticks is how long the
    interface could not respond (input, painting) at worst."""

    def __init__(self, interval_ms: int = 10):
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def stop(self) -> float:
        self.timer.stop()
        return max(self.gaps, default=0.0)


@pytest.fixture
def heartbeat(request, qapp):
    beat = Heartbeat()
    yield beat
    longest = beat.stop()
    if beat.gaps:
        STALLS[request.node.name] = longest


def pytest_terminal_summary(terminalreporter):
    if STALLS:
        terminalreporter.section("longest interface-thread stall (10 ms heartbeat)")
        for name, longest in STALLS.items():
            terminalreporter.write_line(f"{longest:7.1f} ms  {name}")


# -- an X display for drag and drop -------------------------------------------------------------------


@pytest.fixture(scope="session")
def xvfb_display():
    """A private Xvfb display (":N") for the drag-and-drop tests; skipped where Xvfb is missing."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian: xvfb); installer/setup.sh adds it")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp",
                               "-noreset"], pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=_die_with_parent)  # a test run that is killed takes its display along
    os.close(write)
    try:
        number = _read_display_number(read, server)
        yield f":{number}"
    finally:
        os.close(read)
        server.terminate()
        server.wait(10)


def _read_display_number(fd: int, server: subprocess.Popen) -> str:
    text, deadline = b"", time.monotonic() + 15
    os.set_blocking(fd, False)
    while not text.endswith(b"\n"):
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.skip("Xvfb would not start here")
        try:
            text += os.read(fd, 16)
        except BlockingIOError:
            time.sleep(0.05)
    return text.decode().strip()


@pytest.fixture
def prepared_twin_as(twin_templates, fresh_data_root):
    """The prepared twin again, under the name "prepared"."""
    from desktop_twin.store import open_project, rename_project

    shutil.copytree(twin_templates["prepared"] / TWIN, fresh_data_root / "tmp-prepared")
    (fresh_data_root / "tmp-prepared").rename(fresh_data_root / "prepared-folder")
    project = open_project("prepared-folder")
    return rename_project(project, "prepared").path
