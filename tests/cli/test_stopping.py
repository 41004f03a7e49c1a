"""Ctrl+C and SIGTERM stop long commands cleanly: the work so far is kept, and a second signal ends
the command at once. Real signals, sent to this process."""

import os
import signal
import threading

import pytest

from desktop_twin.cli.main import main
from desktop_twin.cli.stopping import stop_cleanly_on_signals
from desktop_twin.store import open_project
from desktop_twin.training.checkpoints import load_checkpoint
from tests.twins import prepared_twin


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_the_first_signal_asks_the_job_to_stop_and_a_second_ends_at_once(number):
    stop = threading.Event()
    before = signal.getsignal(number)
    with stop_cleanly_on_signals(stop.set):
        os.kill(os.getpid(), number)
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), number)
    assert signal.getsignal(number) == before  # put back afterwards


def test_a_signal_stops_training_with_its_checkpoint_saved(capsys, fresh_data_root):
    prepared_twin(fresh_data_root)
    signaller = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGTERM))  # mid-run, or even before it
    signaller.start()
    try:
        code = main(["train", "suit", "--device", "cpu", "--steps", "100000", "--no-speech"])
    finally:
        signaller.cancel()
    assert code == 130
    checkpoint = load_checkpoint(open_project("suit").checkpoints_dir / "latest.pt")
    assert checkpoint["train"]["preset"] == "standard"  # no --preset: standard
    output = capsys.readouterr().out
    assert "Training (standard) stopped at step" in output and "desktop-twin train suit` again" in output


def test_a_signal_stops_an_export_between_stages_and_writes_nothing(capsys, fresh_data_root, tmp_path):
    prepared_twin(fresh_data_root)
    assert main(["train", "suit", "--device", "cpu", "--steps", "2", "--no-speech", "--json"]) == 0
    out = tmp_path / "suit.twin"
    signaller = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # during the ONNX export's seconds
    signaller.start()
    try:
        code = main(["export", "suit", str(out), "--json"])
    finally:
        signaller.cancel()
    assert code == 130 and not out.exists()
    assert "Export was cancelled; nothing was written." in capsys.readouterr().err
