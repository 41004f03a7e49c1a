"""Where a twin stands: whether its .twin file still holds what it learnt."""

import os

from desktop_twin.store import create_project
from desktop_twin.training.speech_training import CHECKPOINT
from desktop_twin.ui.twins import SPEECH_CHECKPOINT, bundle_is_current, bundle_path


def touch(path, seconds):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    os.utime(path, (seconds, seconds))


def test_a_twin_file_is_out_of_date_once_the_twin_learns_to_speak(tmp_path):
    project = create_project("ann", tmp_path)
    assert SPEECH_CHECKPOINT == CHECKPOINT
    touch(project.checkpoints_dir / "best.pt", 1_000)
    touch(bundle_path(project), 2_000)
    assert bundle_is_current(project)
    touch(project.checkpoints_dir / SPEECH_CHECKPOINT, 3_000)  # learnt to speak after the file was made
    assert not bundle_is_current(project)
    touch(bundle_path(project), 4_000)
    assert bundle_is_current(project)


def test_a_checkpoint_saved_while_the_twin_file_is_made_makes_it_out_of_date(qtbot, context, trained_twin):
    from desktop_twin.store import open_project
    from desktop_twin.store.atomic import atomic_write_bytes
    from desktop_twin.ui.workers import ProcessWorker
    from tests.ui.conftest import TWIN

    project = open_project(TWIN)
    best = project.checkpoints_dir / "best.pt"
    saved = []

    def on_progress(_event):  # a training run saves its best while the exporter works
        if not saved:
            atomic_write_bytes(best, best.read_bytes())  # as save_checkpoint writes
            saved.append(True)

    bundle_path(project).parent.mkdir()
    worker = ProcessWorker("export", (str(project.path), str(bundle_path(project)), False), "making the file",
                           TWIN, "exporting")  # as the interface makes it (ui/bundles.py)
    worker.progress.connect(on_progress)
    with qtbot.waitSignal(worker.finished, timeout=240_000):
        context.pool.start(worker)
    assert worker.failed_report is None, worker.failed_report and worker.failed_report.message
    assert worker.succeeded and saved and bundle_path(project).is_file()
    assert not bundle_is_current(project)  # made from the checkpoint before: made again when next needed
