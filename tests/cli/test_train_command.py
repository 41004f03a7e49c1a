"""`desktop-twin train` as a script or a log sees it: JSON alone with --json, plain progress lines otherwise."""

import json

from desktop_twin.cli.main import main
from tests.twins import prepared_twin


def test_train_output_for_scripts_and_logs(capsys, fresh_data_root):
    prepared_twin(fresh_data_root)

    assert main(["train", "suit", "--device", "cpu", "--steps", "2", "--no-speech", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)  # nothing but the JSON summary on stdout
    assert summary["step"] == 2 and summary["stopped"] == "finished" and summary["held_out"]["psnr"] > 0

    # Under pytest stderr is no terminal: no bar is drawn, so a log gets its milestones as lines.
    assert main(["train", "suit", "--device", "cpu", "--steps", "4", "--no-speech"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Training (draft) on CPU; held-out quality every 250 steps."
    assert any(line.startswith("Resuming from step 2") for line in lines)
    assert any(line.startswith("Step 4 of 4: held-out ") and " dB PSNR, SSIM " in line for line in lines)
    assert lines[-1].startswith("Training (draft) finished at step 4. Best held-out: ")

    assert main(["train", "suit", "--device", "cpu", "--steps", "2", "--no-speech", "--restart"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any("Resuming" in line for line in lines)
    assert lines[-1].startswith("Training (draft) finished at step 2.")
