"""Pretraining the base renderer: a tiny real run on a pack of real footage, then one continued from it."""

import pytest

from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.pack_builder import build_pack
from desktop_twin.training.pretrain import pretrain
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
