"""The train page on a real prepared twin: a tiny real run (draft preset, 3 steps, CPU) with
pause and resume, progress, curves and samples; resuming after the app restarts."""

import pytest
from PySide6.QtCore import Qt

from desktop_twin.store import open_project
from desktop_twin.ui.process_jobs import TrainOutcome
from tests.ui.conftest import TWIN

STEPS = 3
RUN_MS = 120_000  # a run's first step includes starting a process that loads torch


@pytest.fixture
def train_page(qtbot, window, prepared_twin):
    window.library.refresh(select=TWIN)
    window.show_page("train")
    page = window.train
    page.preset.setCurrentIndex(page.preset.findData("draft"))
    page.device.setCurrentIndex(page.device.findData("cpu"))
    page.steps.setValue(STEPS)
    return page


def test_a_run_paused_and_resumed_reports_progress_curves_and_samples(qtbot, window, train_page, heartbeat):
    page = train_page
    assert page.start_button.text() == "Start training" and page.start_button.isEnabled()
    updates = []
    heartbeat.start()
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    page.worker.progress.connect(updates.append)
    assert window.library.cards[TWIN].status == "training"
    qtbot.waitUntil(lambda: any(u.step >= 1 for u in updates), timeout=RUN_MS)
    with qtbot.waitSignal(page.trained, timeout=RUN_MS):
        qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.state == "paused", timeout=10_000)
    paused_at = page.outcome.step
    assert page.outcome.stopped == "cancelled" and 1 <= paused_at < STEPS
    assert page.resume_button.isEnabled() and not page.start_button.isEnabled()
    assert (open_project(TWIN).checkpoints_dir / "latest.pt").is_file()

    with qtbot.waitSignal(page.trained, timeout=RUN_MS) as trained:
        qtbot.mouseClick(page.resume_button, Qt.MouseButton.LeftButton)
        page.worker.progress.connect(updates.append)
    longest = heartbeat.stop()
    qtbot.waitUntil(lambda: page.state == "idle", timeout=10_000)
    assert trained.args == [TWIN]
    assert isinstance(page.outcome, TrainOutcome) and page.outcome.stopped == "finished"
    assert page.outcome.step == STEPS and "psnr" in page.outcome.held_out
    assert any(u.message and f"Resuming from step {paused_at}" in u.message for u in updates)
    steps = [u.step for u in updates if u.step]
    assert steps == list(range(1, STEPS + 1))  # resumed where it paused, no step run twice
    assert "Step 3 of 3" in page.progress.format() and page.device_label.text() == "Training on CPU"
    assert len(page.loss_plot.series["total"]) == STEPS
    assert page.quality_plot.series["face"][-1][0] == STEPS
    assert page.samples.image is not None and page.samples.image.width() == 4 * 128
    assert window.library.cards[TWIN].status == "ready"
    print(f"longest interface stall while training: {longest:.1f} ms")
    assert longest < 250, f"the interface stalled {longest:.0f} ms while training"


def test_training_interrupted_by_quitting_resumes_after_a_restart(qtbot, window, train_page, context, short_script):
    from desktop_twin.ui.context import AppContext
    from desktop_twin.ui.main_window import MainWindow

    page = train_page
    page.steps.setValue(50)
    updates = []
    page.start()
    page.worker.progress.connect(updates.append)
    qtbot.waitUntil(lambda: any(u.step >= 1 for u in updates), timeout=RUN_MS)
    window.close()  # quitting waits for training to write its checkpoint
    assert not context.pool.workers
    assert (open_project(TWIN).checkpoints_dir / "latest.pt").is_file()
    assert context.settings.interrupted_training == TWIN

    again = MainWindow(AppContext.create(context.settings), short_script)  # the app started again
    qtbot.addWidget(again)
    assert again.context.selection.name == TWIN and again.current_page() == "train"
    assert again.train.state == "paused" and again.train.resume_button.isEnabled()
    assert "interrupted" in again.train.status.text()
    again.train.cancel()
    assert again.train.state == "idle" and again.train.start_button.text() == "Resume training"
    again.context.shutdown()
