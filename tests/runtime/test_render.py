"""`desktop-twin render`: an MP4 of the twin driven by a video, that OpenCV and PyAV (FFmpeg) open."""

import argparse
import contextlib
import io
import subprocess
import sys
import threading

import av
import cv2
import pytest

from desktop_twin.cli import render_command
from desktop_twin.errors import UserError
from desktop_twin.runtime.render_video import render_video
from tests.conftest import shared_file
from tests.runtime.conftest import OTHER_PERSON_CLIP

DRIVER_FRAMES, DRIVER_SIZE, DRIVER_SECONDS = 75, (288, 360), 3.0  # OTHER_PERSON_CLIP, which has audio


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    render_command.add_parsers(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.run(args)


@pytest.fixture(scope="module")
def rendered(twin_file, tmp_path_factory):
    """The rendered file and what the command printed."""
    out = tmp_path_factory.mktemp("render") / "twin.mp4"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert run_cli(["render", str(twin_file), "--drive", str(shared_file(OTHER_PERSON_CLIP)),
                        "--out", str(out), "--side-by-side", "--provider", "cpu"]) == 0
    return out, printed.getvalue()


def test_opencv_reads_every_frame_side_by_side(rendered, bundle):
    capture = cv2.VideoCapture(str(rendered[0]))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    capture.release()
    assert len(frames) == DRIVER_FRAMES
    height, width = bundle.frame_rgb.shape[:2]
    driver_width = round(DRIVER_SIZE[1] * height / DRIVER_SIZE[0])
    assert frames[0].shape == (height // 2 * 2, (width + driver_width) // 2 * 2, 3)


def test_pyav_finds_h264_yuv420p_and_the_drivers_audio(rendered):
    with av.open(str(rendered[0])) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.format.name) == ("h264", "yuv420p")
        assert audio.codec_context.name == "aac"
        assert float(audio.duration * audio.time_base) == pytest.approx(DRIVER_SECONDS, abs=0.1)
        assert sum(1 for _ in container.decode(audio=0)) > 0


def test_the_cli_says_what_it_wrote(rendered):
    out, report = rendered
    assert f"Wrote {out}: {DRIVER_FRAMES} frames at 25 fps" in report
    assert "with the video's audio" in report and "CPUExecutionProvider" in report


def test_a_cancel_or_a_bad_output_folder_leaves_nothing(bundle, tmp_path):
    drive = shared_file(OTHER_PERSON_CLIP)
    with pytest.raises(UserError, match="does not exist"):
        render_video(bundle, drive, tmp_path / "missing" / "out.mp4")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(UserError, match="cancelled"):
        render_video(bundle, drive, tmp_path / "out.mp4", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_no_mp4_a_folder_or_the_driver_is_refused_before_any_work(bundle, tmp_path):
    drive = tmp_path / "driver.mp4"
    drive.symlink_to(shared_file("talking/t05_man_in_suit_6s.mp4"))
    (tmp_path / "folder.mp4").mkdir()
    for out, problem in ((tmp_path / "twin.twin", "must end in .mp4"), (tmp_path / "clip.avi", "must end in .mp4"),
                         (tmp_path / "folder.mp4", "it is a folder"), (drive, "would overwrite driver.mp4")):
        with pytest.raises(UserError, match=problem):
            render_video(bundle, drive, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["driver.mp4", "folder.mp4"]


FULL_DISK = """
import resource, signal, sys
from desktop_twin.cli.main import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, resource.RLIM_INFINITY))
sys.exit(main(sys.argv[1:]))
"""


def test_running_out_of_disk_mid_render_is_said_plainly_and_leaves_nothing(twin_file, tmp_path):
    out = tmp_path / "out" / "twin.mp4"
    out.parent.mkdir()
    done = subprocess.run([sys.executable, "-c", FULL_DISK, "render", str(twin_file), "--drive",
                           str(shared_file(OTHER_PERSON_CLIP)), "--out", str(out), "--provider", "cpu"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert f"Cannot write {out}: File too large. Free some space, or choose a folder on another disk." in done.stderr
    assert "Traceback" not in done.stderr
    assert list(out.parent.iterdir()) == []
