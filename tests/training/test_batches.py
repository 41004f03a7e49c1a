"""Training batches from real prepared footage: reproducible by number, built ahead on threads."""

import numpy as np
import pytest
import torch

from desktop_twin.training.batches import MOUTH_WEIGHT, BatchSampler, Clip, Prefetcher, loss_weights
from desktop_twin.training.data import PreparedData
from desktop_twin.training.tensors import to_tensors
from tests.twins import prepared_twin


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    project = prepared_twin(tmp_path_factory.mktemp("twins"))
    data = PreparedData.load(project.prepared_dir)
    train, _ = data.held_out_split()
    return Clip(data, train, data.reference_index(train))


def test_a_batch_is_the_same_whenever_it_is_built(clip):
    sampler = BatchSampler([clip], 128, seed=3, with_reference=False)
    first, again, other = sampler.batch(4, 7), sampler.batch(4, 7), sampler.batch(4, 8)
    assert set(first) == {"sketch", "target", "weights"}  # a baked twin needs no reference
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["target"], other["target"])
    assert first["target"].shape == (4, 128, 128, 3) and first["target"].dtype == np.uint8
    assert first["weights"].shape == (4, 128, 128)


def test_pretraining_batches_carry_a_reference_of_the_same_person(clip):
    batch = BatchSampler([Clip(clip.data, clip.indices)], 64, seed=0).batch(2, 0)
    assert batch["reference_image"].shape == (2, 64, 64, 3) and batch["reference_sketch"].any()


def test_clip_weights_choose_which_clips_are_drawn(clip):
    first, second = int(clip.indices[0]), int(clip.indices[-1])
    clips = [Clip(clip.data, clip.indices, first), Clip(clip.data, clip.indices, second)]
    batch = BatchSampler(clips, 64, seed=0, clip_weights=np.array([0.0, 2.0])).batch(6, 0)
    second_only = BatchSampler([clips[1]], 64, seed=0).sample(np.random.default_rng(0))["reference_image"]
    assert all(np.array_equal(image, second_only) for image in batch["reference_image"])


def test_the_mouth_weighs_most_and_the_background_least(clip):
    landmarks = clip.data.crop_landmarks[clip.reference]
    weights = loss_weights(landmarks, clip.data.crop_size)
    mouth = np.round(landmarks[13, :2]).astype(int)  # inner upper lip
    assert weights[mouth[1], mouth[0]] == MOUTH_WEIGHT and weights[0, 0] == 1


def test_the_prefetcher_gives_the_stream_in_order_and_follows_a_smaller_batch(clip):
    sampler = BatchSampler([clip], 64, seed=1, with_reference=False)
    with Prefetcher(sampler, first=5, threads=3) as batches:
        got = [batches.next(4) for _ in range(3)] + [batches.next(2)]  # as after an out-of-memory halving
    expected = [sampler.batch(4, 5), sampler.batch(4, 6), sampler.batch(4, 7), sampler.batch(2, 8)]
    assert all(np.array_equal(g["target"], e["target"]) for g, e in zip(got, expected))


def test_tensors_are_channels_first_in_unit_range(clip):
    batch = to_tensors(BatchSampler([clip], 64, with_reference=False).batch(2, 0), torch.device("cpu"))
    assert batch["target"].shape == (2, 3, 64, 64) and batch["weights"].shape == (2, 1, 64, 64)
    assert 0.0 <= float(batch["target"].min()) and float(batch["target"].max()) <= 1.0
    assert float(batch["weights"].max()) == MOUTH_WEIGHT
