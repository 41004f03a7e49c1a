"""Application polish: one error path with a copyable report, settings kept as values, shortcuts,
accessible names, the system's theme, and a quit that waits for running jobs."""

import multiprocessing
import os
import signal
import threading
import time

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QProgressBar, QScrollBar, QWidget)

from desktop_twin.ui.errors import install_exception_hooks
from desktop_twin.ui.workers import ProcessWorker, ThreadWorker
from tests.conftest import shared_file
from tests.ui.conftest import FILE_CAMERA


def test_a_failing_job_shows_a_dialog_with_a_copyable_report(qtbot, window):
    def broken(emit, cancel):
        raise RuntimeError("the disk said no")

    with qtbot.waitSignal(window.context.errors.reported, timeout=10_000) as reported:
        window.context.pool.start(ThreadWorker(broken, "saving something"))
    report = reported.args[0]
    assert not report.expected and report.title == "Error while saving something"
    assert "RuntimeError: the disk said no" in report.message
    assert "Traceback" in report.details and "Desktop Twin" in report.details
    dialog = window.errors.open_dialogs[-1]
    assert dialog.isVisible() and dialog.details.isVisible()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert "the disk said no" in QGuiApplication.clipboard().text()
    assert "Traceback" in QGuiApplication.clipboard().text()
    dialog.reject()


def test_a_job_in_its_own_process_relays_the_users_message_and_its_traceback(qtbot, window, tmp_path):
    worker = ProcessWorker("prepare", (str(tmp_path / "twins" / "Nobody"),), "preparing the footage")
    with qtbot.waitSignal(window.context.errors.reported, timeout=30_000) as reported:
        window.context.pool.start(worker)
    report = reported.args[0]
    assert report.expected and "There is no twin called 'Nobody'" in report.message
    assert "open_project" in report.details  # the child's own traceback travels with it
    assert not window.errors.open_dialogs[-1].details.isVisible()  # a message for a person first


def test_a_job_process_that_dies_is_reported_not_waited_for(qtbot, window, prepared_twin):
    worker = ProcessWorker("prepare", (str(prepared_twin),), "preparing the footage")
    with qtbot.waitSignal(window.context.errors.reported, timeout=30_000) as reported:
        window.context.pool.start(worker)
        qtbot.waitUntil(lambda: bool(multiprocessing.active_children()), timeout=10_000)
        os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
    assert "ended unexpectedly" in reported.args[0].message and "-9" in reported.args[0].message


def test_uncaught_exceptions_of_any_thread_reach_the_dialog_on_the_main_thread(qtbot, window):
    uninstall = install_exception_hooks(window.context.errors)
    shown_on = []
    window.context.errors.reported.connect(lambda _r: shown_on.append(threading.current_thread()))
    try:
        with qtbot.waitSignal(window.context.errors.reported, timeout=10_000) as reported:
            thread = threading.Thread(target=lambda: 1 / 0, name="a-helper")
            thread.start()
            thread.join()
    finally:
        uninstall()
    assert "ZeroDivisionError" in reported.args[0].message
    assert shown_on == [threading.main_thread()]
    assert window.errors.open_dialogs[-1].isVisible()


def test_settings_are_remembered_as_values(qtbot, window, context, settings, prepared_twin, short_script):
    from desktop_twin.ui.context import AppContext
    from desktop_twin.ui.main_window import MainWindow

    window.library.refresh(select="suit")
    window.show_page("train")
    window.train.preset.setCurrentIndex(window.train.preset.findData("high"))
    window.train.device.setCurrentIndex(window.train.device.findData("cpu"))
    window.train.minutes.setValue(25)
    window.record.camera.use_file(shared_file(FILE_CAMERA))
    window.resize(window.minimumSizeHint().width(), 580)
    size = window.size()
    window.close()
    store = settings.store
    assert store.value("train/preset") == "high" and store.value("train/device") == "cpu"
    assert int(store.value("train/minutes")) == 25
    assert store.value("devices/camera") == str(shared_file(FILE_CAMERA))
    assert store.value("window/page") == "train" and store.value("window/twin") == "suit"
    assert isinstance(store.value("window/geometry"), QByteArray)

    again = MainWindow(AppContext.create(settings), short_script)
    qtbot.addWidget(again)
    assert again.train.preset.currentData() == "high" and again.train.device.currentData() == "cpu"
    assert again.train.minutes.value() == 25
    assert again.record.camera.source() == str(shared_file(FILE_CAMERA))
    assert again.current_page() == "train" and again.context.selection.name == "suit"
    assert again.height() == size.height()  # (the width is clamped to the 800 px offscreen screen)
    again.context.shutdown()


def test_keyboard_shortcuts_reach_the_main_actions(qtbot, window):
    for number, page in enumerate(["library", "record", "train", "preview", "export"], start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == page
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "library" and window.library.dialog.isVisible()
    window.library.dialog.reject()
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # on the library page as well
    assert window.library.dialog.isVisible()
    window.library.dialog.reject()


def test_no_key_has_two_owners_on_any_page(window):
    """Qt fires neither of two shortcuts with the same key in one window."""
    menu_keys = [a.shortcut().toString() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    for name, page in window.pages.items():
        keys = menu_keys + [b.shortcut().toString() for b in page.findChildren(QAbstractButton)
                            if not b.shortcut().isEmpty()]
        assert sorted({k for k in keys if keys.count(k) > 1}) == [], name


def test_every_control_has_an_accessible_name(window, ready_twin):
    window.library.refresh(select="suit")
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractSlider, QProgressBar)
    nameless = []
    for page in window.pages.values():
        for control in page.findChildren(QWidget):
            if not isinstance(control, kinds) or isinstance(control, QScrollBar) or type(control) is QAbstractButton:
                continue  # Qt's own parts (scroll bars, a table's corner button), described by their role
            text = control.text() if isinstance(control, QAbstractButton) else ""
            if not (control.accessibleName() or text):
                nameless.append(f"{type(page).__name__}: {type(control).__name__}")
    assert nameless == []
    assert window.navigation.accessibleName() and all(c.accessibleName() for c in window.library.cards.values())


def test_custom_drawing_follows_the_systems_palette(qtbot, window):
    plot = window.train.loss_plot
    plot.add_point("total", 1, 0.5)
    plot.add_point("total", 2, 0.4)
    original = QApplication.palette()
    dark = QPalette(original)
    dark.setColor(QPalette.ColorRole.Base, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    try:
        QApplication.setPalette(dark)  # what Qt does when the system switches to a dark scheme
        QApplication.processEvents()
        plot.resize(300, 200)
        image = plot.grab().toImage()
        assert image.pixelColor(image.width() - 3, image.height() - 3) == QColor("#202124")
    finally:
        QApplication.setPalette(original)
    assert QApplication.instance().styleSheet() == ""  # nothing overrides the system's look


def test_quitting_waits_for_running_jobs(qtbot, window):
    ended = []

    def long_job(emit, cancel):
        while not cancel.wait(0.05):
            pass
        time.sleep(0.3)  # tidying up after the cancel
        ended.append(True)

    worker = window.context.pool.start(ThreadWorker(long_job, "waiting", "Ann", "recording"))
    qtbot.waitUntil(worker.isRunning, timeout=5_000)
    window.close()
    assert ended == [True] and worker.isFinished() and window.context.pool.workers == []
