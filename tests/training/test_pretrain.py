"""Pretraining the base renderer: a tiny real run on a pack of real footage, then one continued from it."""

import numpy as np
import pytest

from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.pack_builder import build_pack, merge_packs
from desktop_twin.training.pretrain import clip_weights, pretrain
from desktop_twin.training.pretrain_data import load_pack
from desktop_twin.training.renderer import TwinRenderer
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    (folder / "t05.mp4").symlink_to(shared_file("talking/t05_man_in_suit_6s.mp4"))
    out = folder.parent / "pack.npz"
    summary = build_pack([folder], out, frame_step=10)
    assert summary["clips"] == 1 and summary["frames"] > 5
    return out


def test_pretrain_writes_a_base_and_a_later_run_continues_it(pack, tmp_path):
    first = pretrain(pack, tmp_path / "base.pt", steps=2, batch_size=1, preset="draft")
    assert first["steps"] == 2
    base = load_checkpoint(tmp_path / "base.pt")
    TwinRenderer(**base["model_config"]).load_state_dict(base["model_state"])  # a complete model
    assert base["earlier_runs"] == []

    pretrain(pack, tmp_path / "more.pt", steps=1, batch_size=1, init=tmp_path / "base.pt")
    more = load_checkpoint(tmp_path / "more.pt")
    assert more["model_config"] == base["model_config"]  # the earlier base's architecture, not the preset's
    assert [run["steps"] for run in more["earlier_runs"]] == [2]
    changed = [k for k in base["model_state"] if not (base["model_state"][k] == more["model_state"][k]).all()]
    assert changed  # it trained on from the earlier weights


def test_pretrain_command_logs_progress_lines_where_no_bar_is_drawn(capsys, monkeypatch, tmp_path):
    from desktop_twin.cli import progress
    from desktop_twin.cli.main import main

    monkeypatch.setattr(progress, "LOG_SECONDS", 0.0)  # a line at each report (pretraining reports every 50 steps)
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "t05.mp4").symlink_to(shared_file("talking/t05_man_in_suit_6s.mp4"))
    assert main(["pretrain", "--data", str(folder), "--out", str(tmp_path / "base.pt"),
                 "--steps", "50", "--batch-size", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Pretraining: 50 of 50 steps, loss ") for line in lines)  # stderr: no terminal
    assert lines[-1].startswith(f"Wrote {tmp_path / 'base.pt'}: 50 steps")


def test_videos_and_photos_packed_apart_merge_into_one_pack_that_pretrains(pack, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("Aaron_Eckhart_0001.jpg", "AJ_Cook_0001.jpg"):
        (photos / name).symlink_to(shared_file(f"photos/lfw_one_per_identity/{name}"))
    assert build_pack([photos], tmp_path / "photos.npz")["frames"] == 2
    merged = merge_packs([pack, tmp_path / "photos.npz"], tmp_path / "merged.npz")
    video = load_pack(pack)[0]
    clips = load_pack(tmp_path / "merged.npz")
    assert merged["clips"] == 3 and [len(c.jpegs) for c in clips] == [len(video.jpegs), 1, 1]
    assert np.array_equal(clips[0].crop(2), video.crop(2)) and clips[2].crop(0).shape == (256, 256, 3)
    summary = pretrain(tmp_path / "merged.npz", tmp_path / "base.pt", steps=1, batch_size=2, preset="draft",
                       photo_share=0.5)
    assert summary["steps"] == 1 and summary["photo_share"] == 0.5


def test_photos_give_their_share_of_the_samples_whatever_their_number():
    weights = clip_weights([40, 1, 1, 1, 60], 0.3)
    assert weights[1:4] == pytest.approx([0.1] * 3) and weights[[0, 4]] == pytest.approx([0.35, 0.35])
    assert clip_weights([1, 1], 0.3) is None and clip_weights([5, 9], 0.3) is None  # one kind alone: uniform
