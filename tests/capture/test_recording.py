"""Real recordings: a video file as the camera, real sound played into a virtual microphone."""

import numpy as np
import pytest

from desktop_twin.capture.audio import read_audio
from desktop_twin.capture.cameras import open_camera
from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.microphones import Microphone, find_microphone
from desktop_twin.capture.recorder import RecordingJob
from desktop_twin.capture.recording_reader import open_recording
from tests.capture.rig import (
    PLAYBACK_RATE,
    ScheduledPlayer,
    match_frames,
    read_frames,
    thumbnails,
    windowed_audio_lags,
)
from tests.conftest import shared_file

TALKING_CLIP = "talking/t01_news_correspondent_71s.mp4"
WEBCAM_CLIP = "driving/d02_webcam_streamer_12s.mp4"
SPEECH = "speech/librispeech_test_other/1688/1688-142285-0000.flac"
COMPARE_RATE = 16_000


def record_with_sound(rig, camera_path, sound: np.ndarray, seconds: float, folder):
    """Record from the file camera while `sound` plays into the microphone, starting with the
    first frame. Returns the job's result and the player's schedule errors."""
    with ScheduledPlayer(rig.device) as player, open_camera(camera_path) as camera:
        job = RecordingJob(camera, Microphone(find_microphone(rig.device)), folder, seconds)

        def on_progress(progress):
            if progress.frames == 1:
                player.play(sound, at=progress.frame.time)

        result = job.run(on_progress)
    print(f"\nplayback realigned {player.realignments} times")
    return result, player.schedule_errors


def test_records_real_speech_and_the_frames_of_a_video_file(pulse_rig, tmp_path):
    speech = read_audio(shared_file(SPEECH), PLAYBACK_RATE)
    camera_path = shared_file(WEBCAM_CLIP)
    result, _ = record_with_sound(pulse_rig, camera_path, speech, 5.0, tmp_path / "take")

    assert not result.stopped_early
    # A file camera keeps real time as a webcam does: on a busy machine it drops frames rather than lag.
    assert result.frames + result.dropped_frames == pytest.approx(5.0 * 30, abs=3)
    assert result.dropped_frames < 0.2 * 5.0 * 30
    assert result.audio_seconds >= 5.0
    video = combine_recording(result.folder)
    lags = windowed_audio_lags(read_audio(video, COMPARE_RATE), read_audio(shared_file(SPEECH), COMPARE_RATE),
                               COMPARE_RATE)
    assert len(lags) >= 3, "the recorded sound is not the speech that was played"
    assert np.ptp(lags) < 0.02  # one speech, played once, in one piece
    matches = match_frames(thumbnails(read_frames(video)), thumbnails(read_frames(camera_path, 200)))
    # A webcam stream repeats frames now and then, so a match may land one frame to either side.
    assert np.mean(np.abs(np.diff(matches) - 1) <= 1) > 0.95, "recorded frames are not the file's frames in order"
    assert abs((matches[-1] - matches[0]) - (len(matches) - 1)) <= 2 + result.dropped_frames
    print(f"\naudio overflows: {result.audio_overflows}, camera frames dropped: {result.dropped_frames}")


def test_audio_and_video_are_in_sync_within_one_frame(pulse_rig, tmp_path):
    clip = shared_file(TALKING_CLIP)
    result, schedule_errors = record_with_sound(pulse_rig, clip, read_audio(clip, PLAYBACK_RATE), 8.0, tmp_path / "t")
    video = combine_recording(result.folder)

    fps = open_recording(result.folder).metadata.fps
    matches = match_frames(thumbnails(read_frames(video)), thumbnails(read_frames(clip, 260)))
    video_lag = float(np.median(np.arange(len(matches)) - matches)) / fps  # where source time 0 is in the output
    lags = windowed_audio_lags(read_audio(video, COMPARE_RATE), read_audio(clip, COMPARE_RATE)[:12 * COMPARE_RATE],
                               COMPARE_RATE)
    assert len(lags) >= 5, "the recorded sound is not the clip's sound"
    audio_lag_seconds = float(np.median(lags))  # where source time 0 is in the output's sound
    rig_error = float(np.median(schedule_errors))  # the sound entered the sink this late
    offset = audio_lag_seconds - video_lag - rig_error

    print(f"\nA/V offset {offset * 1000:+.1f} ms (audio later than video when positive; "
          f"rig scheduling error {rig_error * 1000:+.1f} ms, {len(lags)} matching 1-s windows, "
          f"audio overflows {result.audio_overflows})")
    assert abs(offset) < 1.0 / fps


class DimLightCamera:
    """The file camera delivering every other frame while it claims its full rate, as webcams do in dim light."""

    def __init__(self, camera):
        self._camera = camera

    def __getattr__(self, name):
        return getattr(self._camera, name)

    def read(self):
        self._camera.read()
        return self._camera.read()


def test_a_take_is_as_long_as_it_ran_when_the_camera_delivers_fewer_frames_than_it_claims(pulse_rig, tmp_path):
    with open_camera(shared_file(WEBCAM_CLIP)) as camera:
        dim = DimLightCamera(camera)
        result = RecordingJob(dim, Microphone(find_microphone(pulse_rig.device)), tmp_path / "take", 3.0).run()
    assert camera.fps == pytest.approx(30, abs=1) and result.frames < 0.6 * 3.0 * camera.fps
    assert result.seconds == pytest.approx(3.0, abs=0.2)  # by capture times: frames / claimed fps would say 1.5
    assert result.seconds == pytest.approx(open_recording(result.folder).seconds, abs=1e-6)
