"""The twin speaking live from a microphone: real speech played into the PulseAudio test microphone;
and from an audio file, played aloud into the test speaker.

The latency is measured, not asserted (the machine may be busy): it is printed (run with -s), and
the benchmark record (tests/benchmarks/RESULTS.md) keeps the figure.
"""

import math

import numpy as np
import pytest

from desktop_twin.capture.audio import SAMPLE_RATE, VAD_FRAME_SECONDS, read_audio, speech_mask
from desktop_twin.errors import UserError
from desktop_twin.runtime.live_speech import LiveSpeech
from desktop_twin.training.motion_features import mouth_opening
from tests.capture.conftest import pulse_rig  # noqa: F401 (a fixture)
from tests.conftest import shared_file
from tests.runtime.live_latency import measure

VOICE = "speech/librispeech_test_other/1688/1688-142285-0000.flac"


@pytest.fixture(scope="module")
def live_run(bundle, pulse_rig):  # noqa: F811
    return measure(bundle, pulse_rig.device, shared_file(VOICE))


def test_the_microphone_s_sound_reaches_the_twin(live_run):
    assert live_run.matched_windows >= 5  # what the twin heard is the speech that was played
    assert len(live_run.frames) > 0


def test_frames_follow_the_voice_and_report_their_latency(live_run, bundle):
    frames = live_run.frames
    times = np.array([f.time_seconds for f in frames])
    assert np.all(np.diff(times) > 0)  # each frame shows a later moment than the one before
    latencies = live_run.latencies_ms()
    assert len(latencies) > 0 and np.all(latencies > 0)  # no frame shows sound before it was spoken
    print(f"\nlive: {len(frames)} frames, {frames[-1].skipped} skipped; latency from sound to frame "
          f"median {np.median(latencies):.0f} ms, 90th percentile {np.percentile(latencies, 90):.0f} ms "
          f"(PortAudio's own clock says {np.median([f.latency_ms for f in frames]):.0f} ms)")


def test_the_mouth_moves_with_the_voice_heard_live(live_run, bundle):
    twin_neutral = bundle.neutral_landmarks
    points = np.array(bundle.manifest.models.audio_motion.points)
    scale = np.linalg.norm(twin_neutral[33, :2] - twin_neutral[263, :2])
    speech = speech_mask(live_run.speech)
    spoken, quiet = [], []
    for frame in live_run.frames:
        landmarks = twin_neutral.copy()
        landmarks[points, :2] += frame.offsets * scale
        source_time = frame.time_seconds - live_run.lag_seconds
        if not 0 <= source_time < len(live_run.speech) / SAMPLE_RATE:
            continue
        (spoken if speech[min(int(source_time / VAD_FRAME_SECONDS), len(speech) - 1)] else quiet).append(
            mouth_opening(landmarks))
    assert len(spoken) > 10 and len(quiet) > 5
    assert np.mean(spoken) > np.mean(quiet)


def test_a_microphone_that_is_not_there_is_named(bundle):
    with pytest.raises(UserError, match="microphone"):
        LiveSpeech(bundle, microphone="no such microphone 1234")


def test_a_sound_file_is_played_aloud_and_spoken_to_its_end(bundle, pulse_rig):  # noqa: F811
    from desktop_twin.capture.microphones import Microphone, find_microphone, to_float
    from tests.capture.rig import windowed_audio_lags
    from tests.runtime.live_latency import resampled

    speech = read_audio(shared_file(VOICE))
    frames = []
    microphone = Microphone(find_microphone(pulse_rig.device))  # the test speaker's sound comes back here
    microphone.start()
    try:
        live = LiveSpeech(bundle, sound_file=shared_file(VOICE), speaker=pulse_rig.device, on_frame=frames.append)
        with live:
            assert live.finished.wait(live.voice_file.seconds + 60)  # it ends by itself, with the file
        heard = to_float(microphone.drain().samples.reshape(-1))
    finally:
        microphone.stop()
    assert live.error is None
    matched = windowed_audio_lags(resampled(heard, microphone.sample_rate, SAMPLE_RATE), speech, SAMPLE_RATE)
    assert len(matched) >= 3  # the file was played aloud
    times = np.array([f.time_seconds for f in frames])
    assert len(frames) > 10 and np.all(np.diff(times) > 0)
    last = math.ceil(live.voice_file.seconds * live.fps) - 1
    assert round(times[-1] * live.fps) == last  # the twin spoke it to its very end, and no further
    assert frames[-1].frames + frames[-1].skipped == last + 1  # every frame made or counted as skipped
    print(f"\nfile: {len(frames)} frames, {frames[-1].skipped} skipped; the picture after its sound: median "
          f"{np.median([f.latency_ms for f in frames]):.0f} ms (PortAudio's clock; negative: ahead of it)")


def test_a_file_with_no_sound_is_refused_before_anything_plays(bundle):
    with pytest.raises(UserError, match="has no sound to speak"):
        LiveSpeech(bundle, sound_file=shared_file("driving/d01_head_rotations_16s.mp4"))
