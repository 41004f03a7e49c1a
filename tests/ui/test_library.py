"""The library page on real twins: cards, new, rename, delete, open folder, imports by drop."""

import os
import threading
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from desktop_twin.store import create_project, list_projects, open_project
from desktop_twin.ui.workers import ThreadWorker
from tests.conftest import shared_file
from tests.ui.conftest import FILE_CAMERA, TWIN

PICTURES_SECONDS = 10_000  # ms to wait for a worker's signal before the test fails


def wait_for_pictures(qtbot, page):
    qtbot.waitUntil(lambda: all(not c.thumbnail.pixmap().isNull() or c.status == "empty"
                                for c in page.cards.values()), timeout=PICTURES_SECONDS)


def test_cards_show_each_twin_with_status_thumbnail_and_quality(qtbot, window, ready_twin, prepared_twin_as):
    create_project("Empty one")
    window.library.refresh()
    cards = window.library.cards
    assert list(cards) == ["Empty one", "prepared", TWIN]
    assert [cards[n].status for n in cards] == ["empty", "prepared", "ready"]
    wait_for_pictures(qtbot, window.library)
    assert not cards[TWIN].thumbnail.pixmap().isNull() and not cards["prepared"].thumbnail.pixmap().isNull()
    assert cards[TWIN].quality_label.text().startswith("PSNR ")  # from the .twin's measured quality
    assert cards["Empty one"].quality_label.text() == ""
    assert window.library.empty_hint.isHidden()


def test_an_empty_library_says_how_to_start(window):
    assert window.library.cards == {}
    assert "drop a video" in window.library.empty_hint.text()


def test_new_twin_dialog_shows_the_stores_validation_and_creates_the_twin(qtbot, window):
    create_project("Ann")
    dialog = window.library.ask_new_twin()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.name_edit.setText("a/b")
    assert "cannot contain /" in dialog.problem.text() and not ok.isEnabled()
    dialog.name_edit.setText("ann")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert "already exists" in dialog.problem.text() and dialog.isVisible()
    dialog.name_edit.setText("Bea")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert [p.name for p in list_projects()] == ["Ann", "Bea"]
    assert window.context.selection.name == "Bea" and window.library.cards["Bea"].status == "empty"


def test_rename_and_delete_with_confirmation(qtbot, window, prepared_twin):
    window.library.refresh()
    qtbot.mouseClick(window.library.cards[TWIN], Qt.MouseButton.LeftButton)
    assert window.context.selection.name == TWIN
    window.context.settings.interrupted_training = TWIN  # as a quit in mid-run leaves it
    dialog = window.library.ask_rename()
    dialog.name_edit.setText("Suit man")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert [p.name for p in list_projects()] == ["Suit man"] and list(window.library.cards) == ["Suit man"]
    assert open_project("Suit man").manifest.status == "prepared"
    assert window.context.settings.interrupted_training == "Suit man"  # still offered as paused

    box = window.library.ask_delete()
    qtbot.mouseClick(box.button(box.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert [p.name for p in list_projects()] == ["Suit man"]
    box = window.library.ask_delete()
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    assert list_projects() == [] and window.library.cards == {}
    assert window.context.selection.name is None


def test_renaming_a_trained_twin_drops_its_file_under_the_old_name(qtbot, window, ready_twin):
    window.library.refresh()
    qtbot.mouseClick(window.library.cards[TWIN], Qt.MouseButton.LeftButton)
    old_file = ready_twin / "exports" / f"{TWIN}.twin"
    assert old_file.is_file()
    dialog = window.library.ask_rename()
    dialog.name_edit.setText("Suit man")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    # That file names the old twin inside; it is made again as "Suit man.twin" when next needed.
    assert not (open_project("Suit man").path / "exports" / f"{TWIN}.twin").exists()
    assert window.library.cards["Suit man"].status == "ready"


def test_rename_and_delete_wait_while_a_job_holds_the_twin(qtbot, window, prepared_twin):
    window.library.refresh()
    window.context.selection.select(TWIN)
    release = threading.Event()
    worker = ThreadWorker(lambda emit, cancel: release.wait(30), "rendering", twin=TWIN, activity="rendering")
    window.context.pool.start(worker)
    library = window.library
    qtbot.waitUntil(lambda: not library.delete_button.isEnabled(), timeout=PICTURES_SECONDS)
    assert not library.rename_button.isEnabled()
    assert "busy (rendering a video)" in library.delete_button.toolTip()
    assert library.folder_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: library.delete_button.isEnabled() and library.rename_button.isEnabled(),
                    timeout=PICTURES_SECONDS)
    assert library.rename_button.toolTip().startswith("Rename the chosen twin")


def test_a_cards_progress_goes_with_the_job_that_made_it_though_another_job_goes_on(qtbot, window, prepared_twin):
    from desktop_twin.ui.process_jobs import Fraction
    from desktop_twin.ui.workers import describe_fraction

    window.library.refresh()
    card = window.library.cards[TWIN]
    release = threading.Event()
    preview = ThreadWorker(lambda emit, cancel: release.wait(30), "previewing", twin=TWIN, activity="previewing")
    window.context.pool.start(preview)  # a live preview, which reports no progress, runs on
    export = ThreadWorker(lambda emit, cancel: emit(Fraction(1.0, "The .twin file is ready.")), "exporting",
                          twin=TWIN, activity="exporting")
    window.context.pool.start(export, describe_fraction)
    qtbot.waitUntil(lambda: export not in window.context.pool.workers, timeout=PICTURES_SECONDS)
    assert card.progress.isHidden() and card.status_label.text() == "Live in the preview…"
    release.set()
    qtbot.waitUntil(lambda: not window.context.pool.workers, timeout=PICTURES_SECONDS)


def test_a_twin_trained_again_shows_no_figures_of_its_earlier_model(qtbot, window, ready_twin):
    from desktop_twin.ui.twins import best_checkpoint

    project = open_project(TWIN)
    window.library.refresh()
    wait_for_pictures(qtbot, window.library)
    assert window.library.cards[TWIN].quality_label.text().startswith("PSNR ")
    checkpoint = best_checkpoint(project)
    made = (project.path / "exports" / f"{TWIN}.twin").stat().st_mtime_ns
    os.utime(checkpoint, ns=(made + 10**9,) * 2)  # trained again after the file was made
    window.library.refresh()
    qtbot.waitUntil(lambda: window.library.cards[TWIN].quality_label.text() == "", timeout=PICTURES_SECONDS)


def test_open_folder_asks_the_desktop_to_show_the_twins_folder(qtbot, window, prepared_twin, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.library.refresh(select=TWIN)
    qtbot.mouseClick(window.library.folder_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(prepared_twin))]


def drop_on(widget, *paths: Path) -> bool:
    """Deliver a drag's enter and drop events as Qt's platform layer does (offscreen there is no
    pointer: the real drags across windows are in test_drag_and_drop_x11). True if accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPoint(widget.width() // 2, widget.height() // 2)
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(point, *args)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(point), *args)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def test_a_dropped_video_starts_a_twin_that_is_imported_and_prepared(qtbot, window):
    clip = shared_file(FILE_CAMERA)
    with qtbot.waitSignal(window.importer.imported, timeout=60_000) as imported:
        assert drop_on(window, clip)
        assert list(window.library.cards) == [clip.stem]  # the card is there at once
    assert imported.args == [clip.stem]
    project = open_project(clip.stem)
    assert project.manifest.status == "prepared" and project.manifest.footage[0].source_name == clip.name
    qtbot.waitUntil(lambda: window.library.cards[clip.stem].status == "prepared", timeout=5_000)


def test_a_dropped_twin_file_is_checked_then_added(qtbot, window, twin_file, tmp_path):
    with qtbot.waitSignal(window.importer.imported, timeout=20_000):
        drop_on(window, twin_file)
    assert [p.name for p in list_projects()] == [TWIN]
    qtbot.waitUntil(lambda: window.library.cards[TWIN].status == "ready", timeout=5_000)
    assert (list_projects()[0].path / "exports" / f"{TWIN}.twin").read_bytes() == twin_file.read_bytes()

    broken = tmp_path / "broken.twin"
    broken.write_bytes(twin_file.read_bytes()[: len(twin_file.read_bytes()) // 2])
    with qtbot.waitSignal(window.context.errors.reported, timeout=20_000) as reported:
        drop_on(window, broken)
    assert reported.args[0].expected and "broken.twin" in reported.args[0].message
    assert [p.name for p in list_projects()] == [TWIN]  # nothing was added
    dialog = window.errors.open_dialogs[-1]
    assert dialog.isVisible() and "broken.twin" in dialog.message.text()


def test_a_drop_of_anything_else_is_refused(window, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert not drop_on(window, text)
    assert list_projects() == []
