"""A recording survives its process being killed, and a disk that fills up."""

import json
import shutil
import subprocess
import sys

import pytest

from desktop_twin.capture import audio
from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.consent import CONSENT_FOLDER
from desktop_twin.capture.footage import import_footage, iterate_frames, probe_video
from desktop_twin.capture.left_takes import discard_take, left_takes, take_video
from desktop_twin.capture.recording_reader import open_recording
from desktop_twin.capture.session import TAKE_FOLDER
from desktop_twin.cli.main import main
from desktop_twin.store import create_project, open_project
from tests.capture.killed_take import CAMERA_CLIP, RECORD_BEFORE_KILL_SECONDS, copy_of, killed_take  # noqa: F401
from tests.conftest import REPO, shared_file


def test_a_recording_killed_mid_way_keeps_all_but_the_last_second(killed_take, tmp_path):
    folder = copy_of(killed_take, tmp_path / "take")
    recording = open_recording(folder)
    assert recording.metadata.status == "recording"  # it never got to say it finished
    ran_for = killed_take.killed_at - recording.video.times[0]
    video = combine_recording(folder)
    info = probe_video(video)
    assert info.duration_seconds >= ran_for - 1.0
    assert sum(1 for _ in iterate_frames(video)) == info.frames
    sound = audio.read_audio(video)
    assert len(sound) / audio.SAMPLE_RATE >= ran_for - 1.0
    assert audio.speech_seconds(sound) > 1.0
    print(f"\nkilled after {ran_for:.2f} s; kept {info.duration_seconds:.2f} s of video, "
          f"{len(sound) / audio.SAMPLE_RATE:.2f} s of sound")

    create_project("Ann")  # what the person does with a take left behind: import its folder
    assert main(["import", "Ann", str(folder)]) == 0
    footage = open_project("Ann").manifest.footage
    assert len(footage) == 1 and footage[0].duration_seconds >= ran_for - 1.0 and footage[0].has_audio


def test_a_take_left_by_a_crash_is_offered_back_then_added_or_discarded(killed_take):
    project = create_project("Ann")
    first = copy_of(killed_take, project.recordings_dir / "20261127-213000" / TAKE_FOLDER, age_seconds=60)
    second = copy_of(killed_take, project.recordings_dir / "20261127-214500" / TAKE_FOLDER, age_seconds=60)
    (second.parent / CONSENT_FOLDER).mkdir()  # what a session's consent keeps
    copy_of(killed_take, project.recordings_dir / "20261127-220000" / TAKE_FOLDER)  # still being written, it seems

    takes = left_takes(project)
    assert [t.tracks for t in takes] == [first, second]
    assert takes[0].seconds >= RECORD_BEFORE_KILL_SECONDS - 1.0
    assert takes[0].describe().startswith("a take of ") and "27 Nov 2026 at 21:30" in takes[0].describe()

    import_footage(project, take_video(takes[0]))
    assert open_project("Ann").manifest.footage[0].source_name == "20261127-213000.mp4"
    assert [t.tracks for t in left_takes(open_project("Ann"))] == [second]  # the added one is in the footage

    discard_take(takes[1])
    assert not second.exists() and not takes[1].video.exists()
    assert (second.parent / CONSENT_FOLDER).is_dir()  # the session's consent stays
    assert left_takes(open_project("Ann")) == []


def test_a_full_disk_stops_the_recording_and_keeps_what_fits(pulse_rig, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to mount a small private disk")
    camera = shared_file(CAMERA_CLIP)
    script = (
        "mkdir -p {disk} && mount -t tmpfs -o size=3m tmpfs {disk} && "
        "exec {python} -m tests.capture.disk_full_child {disk}/take {camera} {device} {report} {output}"
    ).format(disk=tmp_path / "disk", python=sys.executable, camera=camera,
             device=pulse_rig.device, report=tmp_path / "report.json", output=tmp_path / "kept.mp4")
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and "mount" in done.stderr and not (tmp_path / "report.json").exists():
        pytest.skip(f"cannot mount a private small disk here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["stopped_early"]
    assert "disk" in report["message"] and "full" in report["message"]
    assert report["frames_readable"] == report["frames_written"] > 25
    assert probe_video(tmp_path / "kept.mp4").frames == report["frames_readable"]
