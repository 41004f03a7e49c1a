"""Real twins for tests: a short clip imported and prepared, and trained for a few steps."""

from pathlib import Path

import pytest

from tests.conftest import shared_file

SHORT_CLIP = "talking/t05_man_in_suit_6s.mp4"


def prepared_twin(root: Path, name: str = "suit", clips: tuple[str, ...] = (SHORT_CLIP,)):
    """A twin under root with these clips from the shared footage imported and prepared."""
    from desktop_twin.capture.footage import import_footage
    from desktop_twin.face.prepare import prepare_project
    from desktop_twin.store import create_project

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DESKTOP_TWIN_HOME", str(root))
        project = create_project(name)
        for clip in clips:
            import_footage(project, shared_file(clip))
        prepare_project(project)
    return project


def trained_twin(root: Path, steps: int = 3, **train_options):
    """A prepared twin of the short clip, trained with the draft preset for a few steps (a poor renderer
    that is real in every other way: checkpoints, baked reference, learnt speech)."""
    from desktop_twin.training.trainer import TrainJob

    project = prepared_twin(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DESKTOP_TWIN_HOME", str(root))
        TrainJob(project, "draft", steps=steps, **train_options).run()
    return project
