"""The command line on real footage and on bad input: clear messages, exit codes, nothing half-written."""

import json

import cv2
import numpy as np
import pytest

from desktop_twin.cli.main import main
from desktop_twin.store import open_project
from tests.conftest import shared_file


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_import_prepare_info_on_real_footage(capsys):
    assert run(capsys, "new", "suit")[0] == 0
    code, out, _ = run(capsys, "import", "suit", str(shared_file("talking/t05_man_in_suit_6s.mp4")))
    assert code == 0 and "with audio" in out
    code, out, _ = run(capsys, "prepare", "suit", "--json")
    result = json.loads(out)
    assert code == 0
    assert result["frames"] == result["frames_with_face"] == 135
    assert result["duration_seconds"] == pytest.approx(135 / 22.0, abs=0.1)  # the clip runs at 22 fps
    assert 2.0 < result["speech_seconds"] <= result["duration_seconds"]
    assert any("at least" in w for w in result["warnings"])  # 5 s is too short to train on
    code, out, _ = run(capsys, "info", "suit", "--json")
    assert json.loads(out)["status"] == "prepared"


def test_landmarks_command_writes_a_track(capsys, tmp_path):
    out_file = tmp_path / "track.npz"
    code, _, _ = run(capsys, "landmarks", str(shared_file("talking/t05_man_in_suit_6s.mp4")), "--out", str(out_file))
    track = np.load(out_file)
    assert code == 0
    assert track["landmarks"].shape == (135, 478, 3) and np.isfinite(track["landmarks"]).all()
    assert (track["score"] > 0.5).all()

    video = tmp_path / "clip.mp4"
    video.symlink_to(shared_file("talking/t05_man_in_suit_6s.mp4"))
    (tmp_path / "folder.npz").mkdir()
    for out, problem in ((video, "must end in .npz"), (tmp_path / "folder.npz", "it is a folder"),
                         (tmp_path / "none" / "t.npz", "does not exist")):
        code, _, err = run(capsys, "landmarks", str(video), "--out", str(out))
        assert code == 1 and problem in err  # said before tracking, not after
    assert video.is_symlink()


def test_a_photo_or_footage_already_in_the_twin_is_refused_and_nothing_is_copied(capsys, tmp_path):
    photo = tmp_path / "me.PNG"
    cv2.imwrite(str(tmp_path / "me.png"), np.zeros((64, 64, 3), np.uint8))
    (tmp_path / "me.png").rename(photo)
    clip = shared_file("talking/t05_man_in_suit_6s.mp4")
    run(capsys, "new", "ann")
    code, _, err = run(capsys, "import", "ann", str(clip), str(photo))
    assert code == 1 and "me.PNG is a photo" in err
    assert open_project("ann").manifest.footage == []  # checked before anything was imported
    assert run(capsys, "import", "ann", str(clip))[0] == 0
    code, _, err = run(capsys, "import", "ann", str(clip))
    assert code == 1 and "is already in the twin (imported as t05_man_in_suit_6s.mp4)" in err
    project = open_project("ann")
    assert len(project.manifest.footage) == 1
    assert sorted(p.name for p in project.footage_dir.iterdir()) == ["t05_man_in_suit_6s.mp4"]


def test_footage_without_audio_prepares_with_a_warning(capsys):
    run(capsys, "new", "silent")
    run(capsys, "import", "silent", str(shared_file("driving/d01_head_rotations_16s.mp4")))
    code, out, _ = run(capsys, "prepare", "silent", "--json")
    result = json.loads(out)
    assert code == 0 and result["speech_seconds"] == 0
    assert any("no audio track" in w for w in result["warnings"])


def test_a_file_that_is_not_a_video_is_refused_and_nothing_is_copied(capsys, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("this is not a video")
    run(capsys, "new", "ann")
    code, _, err = run(capsys, "import", "ann", str(fake))
    assert code == 1 and "not a video" in err
    project = open_project("ann")
    assert project.manifest.footage == [] and not any(project.footage_dir.glob("*"))


def test_a_truncated_video_is_refused(capsys, tmp_path):
    whole = shared_file("talking/t05_man_in_suit_6s.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 3])
    run(capsys, "new", "ann")
    code, _, err = run(capsys, "import", "ann", str(cut))
    assert code == 1 and "cut short" in err


def test_a_video_with_no_face_fails_to_prepare_and_writes_nothing(capsys, tmp_path):
    wall = tmp_path / "wall.avi"
    writer = cv2.VideoWriter(str(wall), cv2.VideoWriter_fourcc(*"MJPG"), 25, (160, 120))
    for i in range(30):
        writer.write(np.full((120, 160, 3), 40 + i, np.uint8))
    writer.release()
    run(capsys, "new", "ann")
    assert run(capsys, "import", "ann", str(wall))[0] == 0
    code, _, err = run(capsys, "prepare", "ann")
    project = open_project("ann")
    assert code == 1 and "No face" in err
    assert not project.prepared_dir.exists() and project.manifest.prepared is None
    assert [p.name for p in project.path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("name", ["a/b", "../escape", ""])
def test_bad_names_exit_non_zero_with_a_message(capsys, name, fresh_data_root):
    code, _, err = run(capsys, "new", name)
    assert code == 1 and err.startswith("desktop-twin: ")
    assert not fresh_data_root.exists() or not any(fresh_data_root.iterdir())


def test_an_unwritable_data_root_is_a_clear_error(capsys, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DESKTOP_TWIN_HOME", str(blocker / "twins"))
    code, _, err = run(capsys, "new", "ann")
    assert code == 1 and "Cannot create" in err


def test_unknown_twin_says_how_to_create_it(capsys):
    code, _, err = run(capsys, "prepare", "nobody")
    assert code == 1 and "desktop-twin new nobody" in err


def test_doctor_reports_devices_providers_and_disk(capsys):
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0
    assert "CPUExecutionProvider" in report["onnxruntime"]["usable"]
    assert isinstance(report["cameras"], list) and report["disk"]["free_gb"] > 0


def test_one_bad_file_in_an_import_imports_nothing_duplicates_included(capsys):
    clip, other = shared_file("talking/t05_man_in_suit_6s.mp4"), shared_file("talking/t06_woman_blue_6s.mp4")
    run(capsys, "new", "ann")
    code, _, err = run(capsys, "import", "ann", str(other), str(clip), str(clip))
    assert code == 1 and "are the same video" in err
    assert run(capsys, "import", "ann", str(clip))[0] == 0
    code, _, err = run(capsys, "import", "ann", str(other), str(clip))
    assert code == 1 and "already in the twin" in err
    assert [entry.file for entry in open_project("ann").manifest.footage] == ["t05_man_in_suit_6s.mp4"]


def test_sample_images_asked_for_where_a_file_is_are_refused_before_the_work(capsys, tmp_path):
    in_the_way = tmp_path / "samples"
    in_the_way.write_text("")
    assert run(capsys, "new", "ann")[0] == 0  # not even trained: the samples' folder is checked first
    code, _, err = run(capsys, "evaluate", "ann", "held-out", "--samples", str(in_the_way))
    assert code == 1 and f"Cannot put the sample images in {in_the_way}: it is a file." in err


def test_a_folder_that_refuses_the_output_is_said_plainly(capsys):
    code, _, err = run(capsys, "landmarks", str(shared_file("talking/t07_grid_speaker_a_3s.mpg")),
                       "--out", "/proc/track.npz")
    assert code == 1 and err.startswith("desktop-twin: Cannot write /proc/track.npz: ") and "Traceback" not in err
