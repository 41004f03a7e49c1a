import numpy as np
import pytest

from desktop_twin.capture import audio
from tests.conftest import shared_file


def test_reads_a_video_s_audio_track_at_16_khz_mono():
    samples = audio.read_audio(shared_file("talking/t01_news_correspondent_71s.mp4"))
    assert samples.dtype == np.float32
    assert abs(len(samples) / audio.SAMPLE_RATE - 71.2) < 0.5
    assert 0.1 < np.abs(samples).max() <= 1.0


def test_a_silent_clip_has_no_audio_track():
    path = shared_file("driving/d01_head_rotations_16s.mp4")
    assert not audio.has_audio_track(path)
    assert audio.read_audio(path) is None


def test_a_file_that_is_not_sound_is_said_so_in_ffmpegs_words_not_its_error_number(tmp_path):
    from desktop_twin.errors import UserError

    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(UserError) as error:
        audio.speech_samples(fake)
    assert str(error.value) == "fake.wav cannot be read as sound (Invalid data found when processing input)."


def test_log_mel_has_one_frame_per_10_ms():
    samples = np.random.default_rng(0).normal(0, 0.1, audio.SAMPLE_RATE * 2).astype(np.float32)
    mel = audio.log_mel(samples)
    assert mel.shape == (200, audio.MEL_BINS)
    assert np.isfinite(mel).all()


def test_log_mel_follows_the_pitch_of_a_tone():
    t = np.arange(audio.SAMPLE_RATE) / audio.SAMPLE_RATE
    low = audio.log_mel(np.sin(2 * np.pi * 300 * t).astype(np.float32)).mean(0).argmax()
    high = audio.log_mel(np.sin(2 * np.pi * 3000 * t).astype(np.float32)).mean(0).argmax()
    assert low < high


def test_speech_is_found_in_real_speech_and_not_in_silence():
    path = next(shared_file("speech/librispeech_test_other").rglob("*.flac"))
    samples = audio.read_audio(path)
    duration = len(samples) / audio.SAMPLE_RATE
    assert audio.speech_seconds(samples) > 0.5 * duration
    assert audio.speech_seconds(np.zeros(audio.SAMPLE_RATE * 3, np.float32)) == pytest.approx(0.0)
