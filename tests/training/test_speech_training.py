"""Learning to speak: audio features, training samples, pretraining, fine-tuning and lip-sync scores,
on real footage and real speech."""

import numpy as np
import pytest
import torch

from desktop_twin.capture.audio import log_mel, read_audio
from desktop_twin.capture.footage import import_footage
from desktop_twin.face.prepare import prepare_project
from desktop_twin.store import create_project
from desktop_twin.training.audio_motion import AudioMotionNet, model_from_state
from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.data import PreparedData
from desktop_twin.training.idle_statistics import blink_statistics, idle_statistics, pose_parameters
from desktop_twin.training.lipsync import correlation, evaluate_lipsync
from desktop_twin.training.motion_features import (
    MOUTH_JAW_POINTS, eye_aspect_ratio, loudness_offset, mouth_offsets, mouth_opening, speech_level)
from desktop_twin.training.motion_samples import build_samples, closed_in_silence, opening_change, silent_rows
from desktop_twin.training.speech_clips import prepared_clips, track_video
from desktop_twin.training.speech_timing import (
    MAX_DELAY_ROWS, best_delay, delay_motion, delay_scores, validation_split)
from desktop_twin.training.speech_training import (
    CHECKPOINT, clip_part, fine_tune_audio_motion, pretrain_audio_motion, project_parts)
from desktop_twin.training.trainer import TrainJob
from tests.conftest import shared_file

CLIP = "talking/t05_man_in_suit_6s.mp4"
OTHER_SPEAKERS = ("talking/t07_grid_speaker_a_3s.mpg", "talking/t08_grid_speaker_b_3s.mpg")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """t05 prepared and trained (two renderer steps), which teaches it to speak too."""
    root = tmp_path_factory.mktemp("twins")
    project = create_project("suit", root)
    import_footage(project, shared_file(CLIP))
    prepare_project(project)
    messages = []
    result = TrainJob(project, "draft", "cpu", steps=2).run(lambda e: e.message and messages.append(e.message))
    return project, result, messages


@pytest.fixture(scope="module")
def clip():
    return track_video(shared_file(CLIP))


def test_loudness_normalisation_undoes_a_microphone_s_gain():
    samples = read_audio(shared_file(CLIP))
    loud, quiet = log_mel(samples), log_mel(samples * 0.25)
    assert speech_level(loud) - speech_level(quiet) == pytest.approx(2 * np.log(4), abs=0.05)
    normalised_loud = loud + loudness_offset(speech_level(loud), speech_level(loud))
    normalised_quiet = quiet + loudness_offset(speech_level(quiet), speech_level(loud))
    speaking = normalised_loud.max(axis=1) > -6  # the floor of log(mel + 1e-6) differs; speech does not
    assert np.abs(normalised_loud - normalised_quiet)[speaking].mean() < 0.05
    silent = np.full_like(loud, np.log(1e-6))
    assert loudness_offset(speech_level(silent), speech_level(loud)) == pytest.approx(-(speech_level(loud) - 4.6))


def test_mouth_offsets_are_in_eye_distances_so_they_carry_across_face_sizes(clip):
    landmarks = clip.landmarks[clip.has_face]
    neutral = np.median(landmarks, axis=0)
    offsets = mouth_offsets(landmarks, neutral)
    assert offsets.shape == (len(landmarks), len(MOUTH_JAW_POINTS), 2)
    doubled = mouth_offsets(landmarks * 2, neutral * 2)
    np.testing.assert_allclose(doubled, offsets, atol=1e-5)
    opening = mouth_opening(landmarks)
    assert opening.std() > 0.01 and opening.max() > 0.05  # a talking mouth opens and closes
    # The model's measure of opening from offsets agrees with the landmarks' own (which divides by each
    # frame's eye distance rather than the neutral face's).
    np.testing.assert_allclose(opening_change(offsets), opening - mouth_opening(neutral[None])[0], atol=0.005)


def test_pauses_teach_the_closed_mouth(clip):
    part = clip_part(clip, np.arange(len(clip.times)))
    samples = build_samples([part], 30, 10)
    padded = np.concatenate([np.full((40, 80), np.log(1e-6), np.float32), clip.mel[:200],
                             np.full((100, 80), np.log(1e-6), np.float32)]) + np.float32(part.loudness_offset)
    silent = silent_rows(padded, np.arange(len(padded)))
    assert silent[:5].all() and silent[-5:].all() and not silent[100:200].all()
    offsets = mouth_offsets(clip.landmarks[part.frames], part.neutral)
    closed = closed_in_silence(offsets, np.arange(len(offsets)) < 10)
    assert np.ptp(opening_change(closed[:10])) < 1e-6  # one closed mouth for all silent frames
    assert opening_change(closed[:10]).mean() <= np.quantile(opening_change(offsets), 0.2)
    assert len(samples) == len(part.frames)


def test_blinks_and_head_drift_are_measured_from_real_footage(clip):
    landmarks, frames = clip.landmarks, np.flatnonzero(clip.has_face)
    stats = idle_statistics(landmarks, clip.crop_transforms, clip.times, np.zeros(len(frames), int),
                            clip.has_face, 256)
    assert {"roll", "log_scale", "shift_x", "shift_y"} == set(stats["head"])
    assert all(0 <= value < 0.05 for spread in stats["head"].values() for value in spread)
    assert sum(np.square(stats["head"]["roll"])) > 0  # a real head is never still
    # Blinks put into the real landmarks are found at the rate they were made (the clip has one of its own).
    blinked = landmarks[frames].copy()
    for start in (20, 40, 110):
        for frame in range(start, start + 3):
            for pairs in (np.array([(159, 145), (160, 144), (158, 153)]), np.array([(386, 374), (385, 380), (387, 373)])):
                blinked[frame, pairs[:, 0], 1] = blinked[frame, pairs[:, 1], 1] - 0.5
    blinks = blink_statistics(blinked, clip.times[frames], [np.arange(len(frames))])
    assert blinks["blinks_from"] == "recording"
    minutes = len(frames) / 22.13 / 60
    assert 3 / minutes * 0.95 <= blinks["blinks_per_minute"] <= 4 / minutes * 1.05
    assert eye_aspect_ratio(blinked[41]) < 0.6 * eye_aspect_ratio(blinked[10])
    assert pose_parameters(clip.crop_transforms[frames[:1]], 256) == pytest.approx(np.zeros((1, 4)), abs=1e-9)


def test_pretraining_across_speakers_writes_a_base_that_loads(tmp_path):
    out = tmp_path / "base.pt"
    summary = pretrain_audio_motion([shared_file(c) for c in OTHER_SPEAKERS], out, steps=20)
    assert summary["frames"] == 150 and summary["explained_variance"] > 0.9
    model = model_from_state(load_checkpoint(out)).eval()
    with torch.no_grad():
        offsets = model(torch.zeros(2, model.window, 80))
    assert offsets.shape == (2, len(MOUTH_JAW_POINTS), 2) and torch.isfinite(offsets).all()


def test_training_a_twin_teaches_it_to_speak_from_its_training_frames_only(project):
    project, result, messages = project
    assert result.speech is not None and result.speech["steps"] >= 100
    assert any(m.startswith("Learning to speak: step") for m in messages)
    checkpoint = load_checkpoint(project.checkpoints_dir / CHECKPOINT)
    data = PreparedData.load(project.prepared_dir)
    train, held = data.held_out_split()
    assert checkpoint["reference_index"] == data.reference_index(train)
    assert checkpoint["train"]["frames"] == len(train)  # the held-out seconds stay unseen
    held_parts, _, _ = project_parts(project, held_out=True)
    assert sum(len(p.frames) for p in held_parts) == len(held)


def test_lipsync_scores_the_twin_and_both_baselines_on_held_out_frames(project):
    project, _, _ = project
    result = evaluate_lipsync(project)
    assert result["frames"] > 20
    assert set(result) >= {"model", "neutral", "loudness"}
    assert result["neutral"]["opening_correlation"] == 0.0  # a still mouth follows nothing
    for name in ("model", "neutral", "loudness"):
        assert 0 < result[name]["mouth_landmark_error_px"] < 20
    assert -1 <= result["model"]["opening_correlation"] <= 1


def test_footage_without_sound_trains_a_twin_that_follows_faces_only(tmp_path):
    project = create_project("silent", tmp_path)
    import_footage(project, shared_file("driving/d01_head_rotations_16s.mp4"))
    prepare_project(project)
    messages = []
    result = TrainJob(project, "draft", "cpu", steps=1).run(lambda e: e.message and messages.append(e.message))
    assert result.speech is None
    assert any("did not learn to speak" in m for m in messages)
    assert not (project.checkpoints_dir / CHECKPOINT).exists()
    assert prepared_clips(project.prepared_dir)[0][0].mel.shape[0] == 0


def test_correlation_of_a_still_signal_is_zero():
    assert correlation(np.ones(10), np.arange(10.0)) == 0.0
    assert correlation(np.arange(10.0), np.arange(10.0)) == pytest.approx(1.0)


def test_fine_tuning_twice_from_the_same_seed_learns_the_same(project):
    project, _, _ = project
    first = fine_tune_audio_motion(project, steps=5)
    a = load_checkpoint(first.checkpoint)["model_state"]
    fine_tune_audio_motion(project, steps=5)
    b = load_checkpoint(first.checkpoint)["model_state"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert isinstance(AudioMotionNet(), torch.nn.Module)


def test_training_again_keeps_what_the_twin_learnt_to_speak_from_the_same_footage(project):
    project, _, _ = project
    path = project.checkpoints_dir / CHECKPOINT

    def train_again(seed: int = 0) -> list[str]:
        messages = []
        TrainJob(project, "draft", "cpu", steps=2, seed=seed).run(lambda e: e.message and messages.append(e.message))
        return messages

    train_again()  # (other tests fit with their own settings)
    learnt = path.stat().st_mtime_ns
    messages = train_again()
    assert any("already learnt to speak" in m for m in messages)
    assert not any(m.startswith("Learning to speak") for m in messages) and path.stat().st_mtime_ns == learnt
    assert any(m.startswith("Learning to speak: step") for m in train_again(seed=1))  # another fit: learnt again


def test_a_delayed_motion_is_a_window_further_back_of_the_same_length(project):
    project, _, _ = project
    parts, _, _ = project_parts(project)
    model = model_from_state(load_checkpoint(project.checkpoints_dir / CHECKPOINT))
    before, after, window = model.config["frames_before"], model.config["frames_after"], model.window
    delay_motion(model, 2)
    assert model.window == window and model.config["frames_after"] == after - 2  # 20 ms less look-ahead
    delayed = build_samples(parts, before + 2, after - 2)
    plain = build_samples(parts, before, after)
    indices = np.arange(len(plain))
    assert np.array_equal(delayed.windows(indices), plain.windows(indices, shift=np.full(len(indices), -2)))


def test_the_timing_is_scored_on_the_last_training_seconds_and_a_delay_kept_only_when_it_helps(project):
    project, _, _ = project
    parts, _, _ = project_parts(project)
    assert validation_split(parts) is None  # 6 s of footage: too little to set seconds aside
    fit_parts, validation = validation_split(parts, frames=40, min_fit=60)
    assert sum(len(p.frames) for p in validation) == 40
    assert validation[-1].frames.min() > fit_parts[-1].frames.max()  # the last seconds, unseen by the fit
    model = model_from_state(load_checkpoint(project.checkpoints_dir / CHECKPOINT))
    scores = delay_scores(model, validation)
    assert sorted(scores) == list(range(MAX_DELAY_ROWS + 1)) and all(-1 <= s <= 1 for s in scores.values())
    assert best_delay({0: 0.50, 1: 0.505, 2: 0.49}) == 0  # not worth it
    assert best_delay({0: 0.50, 1: 0.55, 2: 0.60, 3: 0.58}) == 2
    assert load_checkpoint(project.checkpoints_dir / CHECKPOINT)["train"]["timing"] == {"delay_rows": 0}
