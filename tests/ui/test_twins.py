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
