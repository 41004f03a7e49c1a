"""The twin speaking: sound from a file or a live microphone moves its mouth, through ONNX Runtime.

The .twin is the runtime's real test twin (conftest: a 6 s clip, prepared, trained a few steps,
its speech model fine-tuned from the bundled base, exported). The voices are someone else's
(LibriSpeech), as a user's twin would hear them.
"""

import argparse

import av
import numpy as np
import pytest

from desktop_twin.capture.audio import SAMPLE_RATE, log_mel, read_audio, speech_mask, VAD_FRAME_SECONDS
from desktop_twin.cli import render_command
from desktop_twin.errors import UserError
from desktop_twin.runtime.audio_drive import SpeakingTwin, file_offsets
from desktop_twin.runtime.idle_player import IdlePlayer, close_eyes
from desktop_twin.runtime.mel_stream import MelStream
from desktop_twin.runtime.render_speech import render_speech
from desktop_twin.runtime.twin_assets import TwinAssets
from desktop_twin.training.motion_features import eye_aspect_ratio, mouth_opening
from tests.conftest import shared_file

UTTERANCE = "speech/librispeech_test_other/367/367-130732-0006.flac"  # 2.35 s
LONGER_UTTERANCE = "speech/librispeech_test_other/1688/1688-142285-0000.flac"  # 15 s
FPS = 25.0


@pytest.fixture(scope="module")
def assets(bundle) -> TwinAssets:
    return TwinAssets.from_bundle(bundle)


@pytest.fixture(scope="module")
def speaking_twin(assets) -> SpeakingTwin:
    return SpeakingTwin(assets, ["CPUExecutionProvider"])


def test_the_exported_twin_carries_its_speech_model_and_idle_motion(bundle, assets):
    entry = bundle.manifest.models.audio_motion
    assert entry is not None and bundle.audio_motion_onnx is not None
    assert entry.frames_after * 10 <= 100  # a look-ahead of 100 ms at most: the live path waits for it
    idle = bundle.manifest.idle
    assert idle is not None and 0 < idle.blinks_per_minute <= 120
    assert assets.speech.points.tolist() == entry.points


def test_streamed_log_mel_is_the_whole_file_s_log_mel():
    samples = read_audio(shared_file(UTTERANCE))
    stream, rng, rows, at = MelStream(), np.random.default_rng(0), [], 0
    while at < len(samples):
        size = int(rng.integers(1, 1200))  # blocks of any size, as a sound card delivers them
        rows.append(stream.push(samples[at:at + size]))
        at += size
    rows = np.concatenate(rows)
    whole = log_mel(samples)
    assert len(whole) - 1 <= len(rows) <= len(whole)  # the last row needs sound after the end
    np.testing.assert_allclose(rows, whole[:len(rows)], atol=1e-4)


def openings(twin: SpeakingTwin, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per video frame: the twin's mouth opening for this sound, and whether the frame's moment is speech."""
    times = np.arange(int(len(samples) / SAMPLE_RATE * FPS)) / FPS
    offsets = file_offsets(twin.mouth, log_mel(samples), times)
    opening = np.array([mouth_opening(twin.pose(o, t).landmarks) for o, t in zip(offsets, times)])
    speech = speech_mask(samples)
    in_speech = speech[np.minimum((times / VAD_FRAME_SECONDS).astype(int), len(speech) - 1)]
    return opening, in_speech


def test_another_voice_opens_the_mouth_in_speech_and_closes_it_in_silence(speaking_twin):
    voice = read_audio(shared_file(LONGER_UTTERANCE))
    silence = np.zeros(SAMPLE_RATE * 2, np.float32)
    opening, in_speech = openings(speaking_twin, np.concatenate([silence, voice, silence]))
    rest = mouth_opening(speaking_twin.pose(np.zeros_like(speaking_twin.mouth.offsets(
        np.zeros((speaking_twin.mouth.window, 80), np.float32))), 0.0).landmarks)
    quiet = opening[:int(1.5 * FPS)]  # well inside the leading silence
    talking = opening[in_speech]
    assert talking.mean() > quiet.mean() + 0.25 * talking.std()  # opens when the voice speaks
    assert np.percentile(talking, 90) > np.percentile(quiet, 90)
    assert quiet.std() < 0.5 * talking.std()  # and keeps still in silence
    assert quiet.mean() < rest + 0.02  # near the twin's resting mouth, not hanging open
    end_quiet = opening[-int(1.5 * FPS):]
    assert end_quiet.mean() < talking.mean()  # closes again when the voice stops


def test_a_quiet_recording_of_the_voice_moves_the_mouth_as_a_loud_one(speaking_twin):
    voice = read_audio(shared_file(UTTERANCE))
    loud, _ = openings(speaking_twin, voice)
    quiet, _ = openings(speaking_twin, voice * 0.3)  # 10 dB quieter: another microphone's gain
    assert np.corrcoef(loud, quiet)[0, 1] > 0.9


def test_blinks_come_at_the_person_s_rate_and_close_the_eyes(assets):
    player = IdlePlayer(assets.idle, assets.canonical_size, seed=3)
    times = np.arange(0, 120, 1 / FPS)
    closure = np.array([player.closure(t) for t in times])
    starts = np.flatnonzero((closure[1:] > 0) & (closure[:-1] == 0))
    rate = len(starts) / 2.0
    assert 0.5 * assets.idle.blinks_per_minute <= rate <= 1.5 * assets.idle.blinks_per_minute
    assert closure.max() > 0.9
    neutral = assets.neutral_landmarks.copy()
    shut = close_eyes(neutral.copy(), 1.0 - assets.idle.blink_depth)
    assert eye_aspect_ratio(shut) == pytest.approx(eye_aspect_ratio(neutral) * assets.idle.blink_depth, rel=0.15)


def test_the_head_drifts_with_the_person_s_spread(assets):
    player = IdlePlayer(assets.idle, assets.canonical_size, seed=1)
    rolls = np.array([np.arctan2(m[1, 0], m[0, 0]) for m in (player.head_motion(t) for t in np.arange(0, 300, 0.1))])
    expected = np.sqrt((assets.idle.head_spread["roll"] ** 2).sum())
    assert rolls.std() == pytest.approx(expected, rel=0.35)
    assert np.abs(rolls).max() < 0.2  # small: an idle head, not a nodding doll


def test_rendering_speech_writes_an_mp4_with_the_sound(bundle, tmp_path):
    audio = shared_file(UTTERANCE)
    out = tmp_path / "speaking.mp4"
    events = []
    result = render_speech(bundle, audio, out, FPS, ["CPUExecutionProvider"], progress=events.append)
    assert [p.name for p in tmp_path.iterdir()] == ["speaking.mp4"]
    assert result.frames == int(np.ceil(2.35 * FPS)) and result.has_audio
    assert events[-1].frames_done == events[-1].frames_total == result.frames
    with av.open(str(out)) as container:
        kinds = sorted(s.type for s in container.streams)
        video = container.streams.video[0]
        assert kinds == ["audio", "video"]
        assert (video.codec_context.width, video.codec_context.height) == (result.width, result.height)
        frames = [f.to_ndarray(format="gray") for f in container.decode(video)]
    mouth_change = np.abs(frames[len(frames) // 2].astype(int) - frames[0].astype(int)).mean()
    assert len(frames) == result.frames and mouth_change > 0.1  # the twin moves


def test_render_command_speaks_an_audio_file(twin_file, tmp_path, capsys):
    args = argparse.Namespace(twin=twin_file, drive=None, audio=shared_file(UTTERANCE), out=tmp_path / "out.mp4",
                              side_by_side=False, fps=25.0, provider="cpu")
    assert render_command.run(args) == 0
    assert "spoken (sound muxed in)" in capsys.readouterr().out
    assert (tmp_path / "out.mp4").is_file()


def test_sound_that_is_not_there_gets_a_clear_message(bundle, tmp_path):
    silent_video = shared_file("driving/d01_head_rotations_16s.mp4")
    with pytest.raises(UserError, match="has no sound"):
        render_speech(bundle, silent_video, tmp_path / "out.mp4")
    with pytest.raises(UserError, match="does not exist"):
        render_speech(bundle, tmp_path / "missing.wav", tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_a_twin_without_a_speech_model_says_it_cannot_speak(assets, tmp_path):
    mute = TwinAssets(**{**assets.__dict__, "speech": None})
    with pytest.raises(UserError, match="cannot speak"):
        SpeakingTwin(mute)


def test_evaluate_command_reports_lip_sync_against_both_baselines(trained_project, monkeypatch, capsys):
    from desktop_twin.cli import evaluate_command

    monkeypatch.setenv("DESKTOP_TWIN_HOME", str(trained_project.path.parent))
    args = argparse.Namespace(name=trained_project.name, footage="held-out", start=None, end=None, samples=None,
                              lipsync=True, json=False)
    assert evaluate_command.run(args) == 0
    out = capsys.readouterr().out
    assert "mouth opening correlation" in out and "loudness" in out and "neutral" in out
    with pytest.raises(UserError, match="held-out"):
        evaluate_command.run(argparse.Namespace(**{**vars(args), "footage": "other.mp4"}))


SPEAK_RUN = """
import json, sys
from desktop_twin.export.bundle import read_twin
from desktop_twin.runtime.render_speech import render_speech
from desktop_twin.runtime.live_speech import LiveSpeech
result = render_speech(read_twin(sys.argv[1]), sys.argv[2], sys.argv[3])
print(json.dumps({"frames": result.frames, "torch": "torch" in sys.modules}))
"""


def test_speaking_never_imports_torch(twin_file, tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import REPO

    result = subprocess.run([sys.executable, "-c", SPEAK_RUN, str(twin_file), str(shared_file(UTTERANCE)),
                             str(tmp_path / "out.mp4")], capture_output=True, text=True, check=True, cwd=REPO,
                            timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"frames": 59, "torch": False}
