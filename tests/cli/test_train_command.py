"""`desktop-twin train` as a script or a log sees it: JSON alone with --json, plain progress lines otherwise."""

import json

import pytest

from desktop_twin.cli.main import main
from tests.twins import prepared_twin


def test_train_output_for_scripts_and_logs(capsys, fresh_data_root):
    prepared_twin(fresh_data_root)

    assert main(["train", "suit", "--device", "cpu", "--preset", "draft", "--steps", "2", "--no-speech", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # nothing but the JSON summary on stdout
    assert summary["step"] == 2 and summary["stopped"] == "finished" and summary["held_out"]["psnr"] > 0

    # Under pytest stderr is no terminal: no bar is drawn, so a log gets its milestones as lines.
    assert main(["train", "suit", "--device", "cpu", "--steps", "4", "--no-speech"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Training (draft) on CPU; held-out quality every 250 steps."  # the last run's preset
    assert any(line.startswith("Resuming from step 2") for line in lines)
    assert any(line.startswith("Step 4 of 4: held-out ") and " dB PSNR, SSIM " in line for line in lines)
    assert lines[-1].startswith("Training (draft) finished at step 4. Best held-out: ")

    assert main(["train", "suit", "--device", "cpu", "--preset", "draft", "--steps", "2", "--no-speech",
                 "--restart"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any("Resuming" in line for line in lines)
    assert lines[-1].startswith("Training (draft) finished at step 2.")


def test_a_first_run_on_a_cpu_is_standard_with_a_time_limit_unless_told_otherwise(capsys, fresh_data_root,
                                                                                   monkeypatch):
    from desktop_twin.training import presets

    prepared_twin(fresh_data_root)
    monkeypatch.setattr(presets, "CPU_MINUTES", 0.001)  # a run of a step or two, not ten minutes
    assert main(["train", "suit", "--device", "cpu", "--no-speech"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Training (standard) on CPU for at most 0.001 minutes; held-out quality every 500 steps."
    assert lines[-2].startswith("Training (standard) reached its time limit at step ")
    assert lines[-1] == "Its checkpoint is saved: run `desktop-twin train suit` again to go on."
    for limits in (["--steps", "1"], ["--minutes", "0", "--steps", "1"]):  # a step count, or "no limit"
        assert main(["train", "suit", "--device", "cpu", "--no-speech", "--restart", *limits]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "Training (standard) on CPU; held-out quality every 500 steps."
        assert lines[-1].startswith("Training (standard) finished at step 1.")


def test_train_goes_on_with_the_last_runs_preset_unless_told_another(capsys, fresh_data_root):
    prepared_twin(fresh_data_root)
    assert main(["train", "suit", "--device", "cpu", "--preset", "draft", "--steps", "1", "--no-speech"]) == 0
    capsys.readouterr()

    assert main(["train", "suit", "--device", "cpu", "--steps", "2", "--no-speech"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Training (draft) on CPU")  # not the default, standard
    assert any(line.startswith("Resuming from step 1") for line in lines)

    assert main(["train", "suit", "--device", "cpu", "--preset", "standard", "--steps", "1", "--no-speech"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "The last checkpoint was trained with the draft preset: training starts over with standard." in lines


def test_steps_must_be_above_zero_and_minutes_not_below(capsys):
    for option, value, message in (("--steps", "0", "must be above zero"), ("--minutes", "-1", "must be zero or more")):
        with pytest.raises(SystemExit) as stopped:
            main(["train", "suit", option, value])
        assert stopped.value.code == 2
        assert f"argument {option}: {message}" in capsys.readouterr().err


def test_the_photo_share_must_be_a_fraction(capsys, tmp_path):
    for value, message in (("1.5", "must be from 0 to 1, not 1.5"), ("half", "'half' is not a number")):
        with pytest.raises(SystemExit) as stopped:
            main(["pretrain", "--data", str(tmp_path), "--out", str(tmp_path / "base.pt"), "--photo-share", value])
        assert stopped.value.code == 2
        assert f"argument --photo-share: {message}" in capsys.readouterr().err
