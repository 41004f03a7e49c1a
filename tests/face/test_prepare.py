"""prepare on real footage: what it writes, progress, cancel and a full disk leaving the old data."""

import errno
import shutil
import threading

import numpy as np
import pytest

from desktop_twin.capture.errors import DiskFullError
from desktop_twin.capture.footage import import_footage
from desktop_twin.errors import UserError
from desktop_twin.face.align import STABLE_POINTS, STABLE_TEMPLATE
from desktop_twin.face.prepare import prepare_project
from desktop_twin.store import create_project
from tests.conftest import shared_file


@pytest.fixture
def project():
    project = create_project("suit")
    import_footage(project, shared_file("talking/t05_man_in_suit_6s.mp4"))
    return project


def test_prepare_writes_aligned_crops_landmarks_and_audio_features(project):
    events = []
    summary = prepare_project(project, progress=events.append)
    assert [e.frames_done for e in events] == list(range(1, 136))
    track = np.load(project.prepared_dir / "track.npz")
    crops = np.concatenate([np.load(p) for p in sorted((project.prepared_dir / "crops").glob("*.npy"))])
    assert crops.shape == (135, 256, 256, 3) and crops.dtype == np.uint8
    assert track["crop_landmarks"].shape == (135, 478, 3)
    # the stable points sit on the template, up to the person's own face shape (a least-squares fit)
    error = np.linalg.norm(track["crop_landmarks"][:, STABLE_POINTS, :2] - STABLE_TEMPLATE * 256, axis=-1)
    assert error.mean() < 6.0
    mel = np.load(project.prepared_dir / "mel.npy")
    assert track["mel_index"].max() < len(mel) and np.all(np.diff(track["mel_index"]) >= 0)
    assert 0 < track["speech"].mean() < 1
    assert summary.frames_with_face == 135 and project.manifest.status == "prepared"


def test_cancel_keeps_the_previous_prepared_data(project):
    prepare_project(project)
    before = (project.prepared_dir / "track.npz").read_bytes()
    cancel = threading.Event()

    def cancel_midway(event):
        if event.frames_done == 50:
            cancel.set()

    with pytest.raises(UserError, match="cancelled"):
        prepare_project(project, progress=cancel_midway, cancel=cancel)
    assert (project.prepared_dir / "track.npz").read_bytes() == before
    assert not (project.path / ".prepared.partial").exists()


def test_a_project_without_footage_says_what_to_do():
    with pytest.raises(UserError, match="no footage"):
        prepare_project(create_project("empty"))


def test_too_little_free_space_is_said_before_any_work(project, monkeypatch):
    prepare_project(project)
    before = (project.prepared_dir / "track.npz").read_bytes()
    usage = shutil.disk_usage(project.path)
    # The disk is the edge: it reports 20 MiB free; 135 crops of 256 px and the margin need 236 MB.
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=20 * 2**20))
    with pytest.raises(DiskFullError, match="Preparing 135 frames needs about 236 MB free.*21 MB are free"):
        prepare_project(project)
    assert (project.prepared_dir / "track.npz").read_bytes() == before


def test_a_disk_filling_up_midway_keeps_the_previous_prepared_data(project, monkeypatch):
    prepare_project(project)
    before = (project.prepared_dir / "track.npz").read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)  # the first crops written hit a full disk
    with pytest.raises(DiskFullError, match="filled up while preparing"):
        prepare_project(project)
    assert (project.prepared_dir / "track.npz").read_bytes() == before
    assert not (project.path / ".prepared.partial").exists()


def test_an_import_while_preparing_is_refused_as_busy_and_the_prepare_completes(project):
    from desktop_twin.store import open_project

    refusals = []

    def import_from_elsewhere(event):  # another window or command, working on the same twin
        if event.frames_done == 1:
            with pytest.raises(UserError, match="busy") as refused:
                import_footage(open_project("suit"), shared_file("talking/t06_woman_blue_6s.mp4"))
            refusals.append(refused.value)

    prepare_project(project, progress=import_from_elsewhere)
    again = open_project("suit")
    assert len(refusals) == 1 and again.manifest.status == "prepared"
    assert [entry.file for entry in again.manifest.footage] == ["t05_man_in_suit_6s.mp4"]
    assert sorted(p.name for p in again.footage_dir.iterdir()) == ["t05_man_in_suit_6s.mp4"]
