"""Coverage and quality measures on real clips whose properties are known."""

import time

import cv2
import numpy as np
import pytest

from desktop_twin.capture import warnings as w
from desktop_twin.capture.analysis import LiveAnalyzer
from desktop_twin.capture.audio import read_audio, speech_seconds
from desktop_twin.capture.audio_quality import AudioQualityMeter, audio_warnings
from tests.capture.rig import read_frames
from tests.conftest import shared_file

HEAD_ROTATIONS = "driving/d01_head_rotations_16s.mp4"
TALKING = "talking/t01_news_correspondent_71s.mp4"
EXPRESSIONS = "driving/expressions/mead_m030_front_{}_level3_001.mp4"
NEUTRAL = "driving/expressions/mead_m030_front_neutral_level1_001.mp4"
SPEECH = "speech/librispeech_test_other/1688/1688-142285-0000.flac"
RATE = 48_000


@pytest.fixture
def tracker():
    try:
        from desktop_twin.face.tracker import FaceTracker

        return FaceTracker()
    except Exception as error:  # the face models are not installed here
        pytest.skip(f"face tracking is unavailable: {error}")


def analyze(frames, tracker, fps=25.0, analyzer=None, start=0.0):
    analyzer = analyzer or LiveAnalyzer(RATE, tracker)
    report = None
    for index, frame in enumerate(frames):
        report = analyzer.analyze_frame(frame, start + index / fps)
    return analyzer, report


def codes(report) -> set[str]:
    return {warning.code for warning in report.warnings}


def test_the_head_rotation_clip_covers_yaw_and_a_talking_clip_does_not(tracker):
    _, turning = analyze(read_frames(shared_file(HEAD_ROTATIONS)), tracker)
    tracker.reset()
    _, talking = analyze(read_frames(shared_file(TALKING), 250), tracker)

    assert turning.coverage.parts["head_yaw"] > 0.8
    assert turning.coverage.yaw_range[0] < -15 and turning.coverage.yaw_range[1] > 15  # both ways
    assert turning.coverage.parts["head_pitch"] > 0.8
    assert talking.coverage.parts["head_yaw"] < 0.3
    assert turning.coverage.score > talking.coverage.score - 0.2  # speech is not counted here


def test_expressions_are_seen_against_the_person_s_resting_face(tracker):
    analyzer, _ = analyze(read_frames(shared_file(NEUTRAL)), tracker)
    assert analyzer.coverage.coverage().expressions_seen == ()
    _, report = analyze(read_frames(shared_file(EXPRESSIONS.format("happy"))), tracker, analyzer=analyzer, start=10)
    _, report = analyze(read_frames(shared_file(EXPRESSIONS.format("surprised"))), tracker, analyzer=analyzer,
                        start=20)
    assert {"smile", "brows_raised"} <= set(report.coverage.expressions_seen)


def test_a_well_lit_sharp_face_gets_no_picture_warnings(tracker):
    _, report = analyze(read_frames(shared_file(TALKING), 40), tracker)
    assert report.landmarks is not None
    assert not codes(report) & {"no_face", "face_too_small", "face_cut_off", "too_dark", "overexposed", "blurred"}


@pytest.mark.parametrize("change, warning", [
    (lambda f: (f * 0.25).astype(np.uint8), w.TOO_DARK),
    (lambda f: cv2.convertScaleAbs(f, alpha=2.2, beta=40), w.OVEREXPOSED),
    (lambda f: cv2.GaussianBlur(f, (0, 0), 4), w.BLURRED),
], ids=["darkened", "overexposed", "blurred"])
def test_a_spoiled_copy_of_a_clip_warns(tracker, change, warning):
    _, report = analyze([change(f) for f in read_frames(shared_file(TALKING), 40)], tracker)
    assert warning in report.warnings


def test_a_small_face_and_a_face_at_the_edge_warn(tracker):
    def small(frame):
        canvas = np.full((480, 640, 3), 90, np.uint8)
        canvas[100:260, 200:360] = cv2.resize(frame, (160, 160), interpolation=cv2.INTER_AREA)
        return canvas

    def at_edge(frame):
        canvas = np.full_like(frame, 90)
        canvas[:, :312] = frame[:, 200:]
        return canvas

    frames = read_frames(shared_file(TALKING), 40)
    assert w.FACE_TOO_SMALL in analyze([small(f) for f in frames], tracker)[1].warnings
    tracker.reset()
    assert w.FACE_CUT_OFF in analyze([at_edge(f) for f in frames], tracker)[1].warnings


def test_a_frame_without_a_face_warns(tracker):
    frames = [np.full((480, 640, 3), 120, np.uint8)] * 40
    assert w.NO_FACE in analyze(frames, tracker)[1].warnings


def audio_measures(samples: np.ndarray) -> AudioQualityMeter:
    meter = AudioQualityMeter(RATE)
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    for start in range(0, len(pcm), 2048):  # in blocks, as a microphone delivers it
        meter.add(pcm[start:start + 2048])
    return meter


def test_clean_speech_gets_no_sound_warnings_and_its_speech_is_counted():
    speech = read_audio(shared_file(SPEECH), RATE)
    meter = audio_measures(speech)
    assert audio_warnings(meter.measures(), expect_speech=True) == []
    assert meter.speech_seconds == pytest.approx(speech_seconds(read_audio(shared_file(SPEECH))), rel=0.15)


@pytest.mark.parametrize("change, warning", [
    (lambda x: np.clip(x * 8, -1, 1), w.CLIPPING),
    (lambda x: x * 0.02, w.TOO_QUIET),
    (lambda x: x + np.random.default_rng(0).normal(0, 10 ** (-32 / 20), len(x)), w.NOISY_ROOM),
], ids=["clipped", "quiet", "noisy"])
def test_a_spoiled_copy_of_speech_warns(change, warning):
    meter = audio_measures(change(read_audio(shared_file(SPEECH), RATE)))
    assert warning in audio_warnings(meter.measures(), expect_speech=True)


def test_a_quiet_room_while_keeping_still_is_not_too_quiet_but_is_when_asked_to_speak():
    room = np.random.default_rng(0).normal(0, 10 ** (-65 / 20), 3 * RATE).astype(np.float32)
    meter = audio_measures(room)
    assert audio_warnings(meter.measures(), expect_speech=False) == []
    assert w.TOO_QUIET in audio_warnings(meter.measures(), expect_speech=True)
    muted = audio_measures(np.zeros(3 * RATE, np.float32))
    assert w.TOO_QUIET in audio_warnings(muted.measures(), expect_speech=False)  # no signal at all is still said


def test_silence_while_a_sentence_should_be_read_warns_no_speech():
    meter = audio_measures(np.zeros(3 * RATE, np.float32))
    found = audio_warnings(meter.measures(), expect_speech=True)
    assert w.NO_SPEECH in found and w.TOO_QUIET in found
    assert w.NO_SPEECH not in audio_warnings(meter.measures(), expect_speech=False)


class FailingTracker:
    """The face tracker's part, failing after a few frames (a model that breaks mid-take)."""

    def __init__(self, tracker, frames_before_failing: int):
        self.tracker, self.left = tracker, frames_before_failing

    def track(self, image, time):
        if self.left == 0:
            raise RuntimeError("the face model failed")
        self.left -= 1
        return self.tracker.track(image, time)


@pytest.mark.parametrize("frames_before_failing", [5, 0], ids=["mid-take", "first-frame"])
def test_guidance_that_fails_says_so_and_does_not_stop_the_recording(tracker, frames_before_failing):
    from desktop_twin.capture.analysis import BackgroundAnalysis

    analysis = BackgroundAnalysis(LiveAnalyzer(RATE, FailingTracker(tracker, frames_before_failing)))
    analysis.start()
    try:
        for index, frame in enumerate(read_frames(shared_file(TALKING), 30)):
            analysis.submit(frame, index / 25.0, np.zeros(RATE // 25, np.int16))
            report = analysis.latest()  # raised into the recorder's thread before, ending the take
            time.sleep(0.02)
    finally:
        analysis.stop()
    assert report is not None and [x.code for x in report.warnings] == ["guidance_stopped"]
    assert "the face model failed" in report.warnings[0].message
