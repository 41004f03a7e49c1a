"""The trainer's behaviour, on tiny real runs over real footage."""

import dataclasses
import re
import shutil
import threading

import numpy as np
import pytest
import torch

from desktop_twin.errors import UserError
from desktop_twin.store import create_project, open_project
from desktop_twin.training.averaging import MAX_DECAY, WeightAverage, decay_at
from desktop_twin.training.checkpoints import load_checkpoint
from desktop_twin.training.data import PreparedData
from desktop_twin.training import trainer
from desktop_twin.training.trainer import MIN_IMPROVEMENT_DB, TrainJob, record_evaluation, resumable_preset
from tests.twins import prepared_twin


def prepared(root, name, *clips):
    return prepared_twin(root, name, clips)


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    return prepared(tmp_path_factory.mktemp("twins"), "suit", "talking/t05_man_in_suit_6s.mp4")


@pytest.fixture
def fresh_twin(twin, tmp_path):
    """The prepared twin with no checkpoints, so runs do not see each other's."""
    for path in twin.checkpoints_dir.glob("*.pt"):
        path.unlink()
    return twin


def quick_job(project, steps, **kwargs):
    job = TrainJob(project, "draft", "cpu", steps=steps, **kwargs)
    job.preset = dataclasses.replace(job.preset, eval_every=2, batch_size=2)
    job.batch_size = 2
    return job


def test_held_out_split_is_the_last_seconds_and_never_trained_on(twin):
    data = PreparedData.load(twin.prepared_dir)
    train, held = data.held_out_split()
    assert len(held) > 0 and len(train) > 100
    assert data.time_seconds[train].max() < data.time_seconds[held].min()
    assert abs(len(held) / (len(train) + len(held)) - 0.2) < 0.02  # a fifth of footage under a minute


def test_progress_events_carry_losses_eta_and_held_out_quality(fresh_twin):
    events = []
    result = quick_job(fresh_twin, steps=4).run(events.append)
    steps = [e for e in events if e.step]
    assert [e.step for e in steps] == [1, 2, 3, 4]
    assert all(np.isfinite(e.losses["total"]) and e.eta_seconds is not None for e in steps)
    evaluated = [e for e in steps if e.held_out]
    assert [e.step for e in evaluated] == [2, 4]
    assert evaluated[-1].samples.shape == (2 * 128, 4 * 128, 3)
    assert set(evaluated[-1].held_out) >= {"psnr", "ssim", "mouth_psnr", "mouth_ssim"}
    assert result.stopped == "finished" and result.step == 4
    saved = load_checkpoint(fresh_twin.checkpoints_dir / "latest.pt")
    assert saved["step"] == 4 and saved["train"]["preset"] == "draft"
    assert saved["model"]["config"]["image_size"] == 128


def test_cancel_stops_between_steps_and_keeps_a_checkpoint(fresh_twin):
    cancel = threading.Event()

    def on_progress(event):
        if event.step == 2:
            cancel.set()

    result = quick_job(fresh_twin, steps=50).run(on_progress, cancel)
    assert result.stopped == "cancelled" and result.step == 2
    assert load_checkpoint(fresh_twin.checkpoints_dir / "latest.pt")["step"] == 2


def test_a_first_look_at_the_twin_comes_before_the_presets_first_evaluation(fresh_twin, monkeypatch):
    monkeypatch.setattr(trainer, "FIRST_LOOK_STEP", 3)  # 100 in a real run: a tiny run stands for it
    events = []
    job = quick_job(fresh_twin, steps=5, speech=False)
    job.preset = dataclasses.replace(job.preset, eval_every=500)
    job.run(events.append)
    assert [e.step for e in events if e.held_out] == [3, 5]  # the first look, then the run's last step
    assert (fresh_twin.checkpoints_dir / "best.pt").is_file()


def test_a_time_limit_ends_the_run_on_a_scored_step_kept_if_best(fresh_twin):
    events = []
    job = quick_job(fresh_twin, steps=1000, minutes=1e-5, speech=False)  # out of time after one step
    job.preset = dataclasses.replace(job.preset, eval_every=500)
    result = job.run(events.append)
    last = [e for e in events if e.step][-1]
    assert result.stopped == "time limit" and result.step == last.step == 1
    assert last.held_out and last.eta_seconds == 0 and last.total_steps == 1  # it ends here, steps left or not
    assert load_checkpoint(fresh_twin.checkpoints_dir / "best.pt")["best"]["step"] == 1
    assert load_checkpoint(fresh_twin.checkpoints_dir / "latest.pt")["train"]["total_steps"] == 1  # as shown


def test_a_paused_run_goes_on_with_the_rest_of_its_time_limit_and_another_limit_starts_afresh(fresh_twin):
    latest = fresh_twin.checkpoints_dir / "latest.pt"
    cancel = threading.Event()

    def pause_at(step, events):
        def on_progress(event):
            events.append(event)
            if event.step == step:
                cancel.set()
        return on_progress

    quick_job(fresh_twin, steps=1000, minutes=30, speech=False).run(pause_at(2, []), cancel)
    used = load_checkpoint(latest)["clock_seconds"]
    assert 0 < used < 30 * 60
    cancel.clear()
    events = []
    quick_job(fresh_twin, steps=1000, minutes=30, speech=False).run(pause_at(3, events), cancel)
    assert any(re.fullmatch(r"It goes on with \d+\.\d of its 30 minutes left\.", e.message or "") for e in events)
    assert load_checkpoint(latest)["clock_seconds"] > used  # the clock went on from where it stood
    events = []
    quick_job(fresh_twin, steps=1000, minutes=1e-5, speech=False).run(events.append)  # another limit
    assert not any("minutes left" in (e.message or "") for e in events)
    assert load_checkpoint(latest)["clock_minutes"] == 1e-5


def test_a_new_run_resumes_from_the_last_checkpoint_and_says_so(fresh_twin):
    quick_job(fresh_twin, steps=2).run()
    events = []
    result = quick_job(fresh_twin, steps=4).run(events.append)
    assert "Resuming from step 2" in events[0].message
    assert [e.step for e in events if e.step] == [3, 4]
    assert result.step == 4


def test_another_preset_starts_over_and_says_so(fresh_twin):
    quick_job(fresh_twin, steps=2).run()
    assert resumable_preset(fresh_twin) == "draft"
    job = TrainJob(fresh_twin, "standard", "cpu", steps=1, speech=False)
    job.batch_size = 1
    events = []
    job.run(events.append)
    assert events[0].message == ("The last checkpoint was trained with the draft preset: "
                                 "training starts over with standard.")
    assert [e.step for e in events if e.step] == [1]
    assert resumable_preset(fresh_twin) == "standard"


def test_cancel_while_learning_to_speak_is_a_cancelled_run(fresh_twin):
    cancel, messages = threading.Event(), []

    def on_progress(event):
        if event.message:
            messages.append(event.message)
            if event.message.startswith("Learning to speak"):
                cancel.set()

    result = quick_job(fresh_twin, steps=2, speech=True).run(on_progress, cancel)
    assert result.stopped == "cancelled" and result.step == 2 and result.speech is None
    assert not any("did not learn to speak" in m for m in messages)  # it was stopped, not unable


def test_a_run_clears_the_half_saved_checkpoints_a_killed_run_left_and_nothing_else(fresh_twin):
    folder = fresh_twin.checkpoints_dir
    folder.mkdir(exist_ok=True)
    (folder / ".latest.pt.k2j4x9.tmp").write_bytes(b"half a checkpoint")
    (folder / "notes.txt").write_text("mine")
    quick_job(fresh_twin, steps=1, speech=False).run()
    assert sorted(p.name for p in folder.iterdir()) == ["best.pt", "latest.pt", "notes.txt"]


def test_from_scratch_ignores_the_checkpoint(fresh_twin):
    quick_job(fresh_twin, steps=2).run()
    events = []
    quick_job(fresh_twin, steps=2, from_scratch=True).run(events.append)
    assert [e.step for e in events if e.step] == [1, 2]


def test_restart_ignores_the_checkpoint_but_starts_from_the_base(fresh_twin):
    quick_job(fresh_twin, steps=2).run()
    restarted, scratch = [], []
    quick_job(fresh_twin, steps=2, restart=True).run(restarted.append)
    assert [e.step for e in restarted if e.step] == [1, 2]
    assert not load_checkpoint(fresh_twin.checkpoints_dir / "latest.pt")["train"]["from_scratch"]
    quick_job(fresh_twin, steps=1, from_scratch=True).run(scratch.append)
    # The base already draws a face; random weights draw grey.
    assert restarted[0].losses["total"] < 0.5 * scratch[0].losses["total"]


@pytest.mark.parametrize("in_bfloat16", [False, True])
def test_a_cpu_trains_in_float32_or_bfloat16_and_keeps_float32_weights(fresh_twin, in_bfloat16):
    job = quick_job(fresh_twin, steps=2, speech=False)
    job.mixed_precision = in_bfloat16  # which one a CPU gets follows its instructions (devices.py)
    events = []
    job.run(events.append)
    assert [e.step for e in events if e.step] == [1, 2]
    assert all(np.isfinite(e.losses["total"]) for e in events if e.step) and events[-1].held_out["psnr"] > 10
    saved = load_checkpoint(fresh_twin.checkpoints_dir / "latest.pt")
    assert {v.dtype for v in saved["model"]["state"].values()} == {torch.float32}


def test_the_twin_kept_is_the_average_of_the_trained_weights(fresh_twin):
    quick_job(fresh_twin, steps=2, speech=False).run()  # one evaluation, at step 2
    latest = load_checkpoint(fresh_twin.checkpoints_dir / "latest.pt")
    kept = load_checkpoint(fresh_twin.checkpoints_dir / "best.pt")["model"]["state"]
    trained, averaged = latest["model"]["state"], latest["average"]["state"]
    assert all(torch.equal(kept[name], averaged[name]) for name in kept)
    assert not all(torch.equal(kept[name], trained[name]) for name in kept)


def test_the_average_follows_the_weights_fast_at_first_then_slowly():
    model = torch.nn.Linear(2, 1)
    average = WeightAverage(model)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    average.update(model, step=1)
    assert torch.allclose(average.model.weight, start + (1.0 - decay_at(1)))
    assert decay_at(1) < 0.2 and decay_at(100) > 0.9 and decay_at(10**6) == MAX_DECAY


def test_the_best_checkpoint_takes_every_gain_and_stopping_waits_for_a_clear_one():
    state = {"step": 0, "best": None, "stale_evaluations": 0, "history": []}
    small = MIN_IMPROVEMENT_DB / 2
    verdicts = []
    for step, psnr in enumerate([30.0, 30.0 + small, 30.0 + 2 * small - 0.001, 29.9, 30.2], 1):
        state["step"] = step
        verdicts.append((record_evaluation(state, {"psnr": psnr}), state["stale_evaluations"]))
    assert verdicts == [(True, 0), (True, 1), (True, 2), (False, 3), (True, 0)]
    assert state["best"] == {"step": 5, "psnr": 30.2} and len(state["history"]) == 5


def run_out_of_gpu_memory_once(monkeypatch, where: str) -> None:
    """The trainer's call of `where` raises CUDA's out-of-memory error once, as the device would."""
    real = TrainJob._step.__globals__[where]
    failures = iter([True])

    def runs_out_of_memory_once(*args):
        if next(failures, False):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated at the device's edge)")
        return real(*args)

    monkeypatch.setitem(TrainJob._step.__globals__, where, runs_out_of_memory_once)


@pytest.mark.parametrize("where", ["to_tensors", "reconstruction_loss"])  # the batch's upload, or the model
def test_out_of_gpu_memory_halves_the_batch_and_carries_on(fresh_twin, monkeypatch, where):
    job = quick_job(fresh_twin, steps=2)
    job.batch_size = 4
    run_out_of_gpu_memory_once(monkeypatch, where)
    events = []
    result = job.run(events.append)
    assert result.step == 2
    assert job.batch_size == 2 and [e.batch_size for e in events if e.step] == [2, 2]


def test_out_of_gpu_memory_at_one_image_goes_on_on_the_cpu_and_says_so(fresh_twin, monkeypatch):
    job = quick_job(fresh_twin, steps=2)
    job.batch_size = 1
    run_out_of_gpu_memory_once(monkeypatch, "reconstruction_loss")
    events = []
    result = job.run(events.append)
    assert result.step == 2 and job.device.type == "cpu"
    assert job.batch_size == job.preset.batch_size  # the preset's batch again, in the machine's memory
    told = [e.message for e in events if e.message and "out of memory" in e.message]
    assert len(told) == 1 and "on the CPU" in told[0]
    assert events[[e.message for e in events].index(told[0])].step == 1  # with the step it happened in


def test_a_run_that_falls_back_to_the_cpu_gets_the_cpus_time_limit_unless_one_was_chosen(fresh_twin, monkeypatch):
    from desktop_twin.training.presets import CPU_MINUTES

    for chosen, kept in ((None, CPU_MINUTES), (0, None), (25, 25)):
        job = quick_job(fresh_twin, steps=None, minutes=chosen, speech=False, restart=True)
        if chosen is None:
            job.minutes = None  # as a run on a GPU begins: no limit unless one is chosen
        job.total_steps = job.last_step = 2
        job.batch_size = 1
        run_out_of_gpu_memory_once(monkeypatch, "reconstruction_loss")
        events = []
        assert job.run(events.append).stopped == "finished"
        assert job.device.type == "cpu" and job.minutes == kept
        told = next(e.message for e in events if e.message and "out of memory" in e.message)
        assert (f"stops after {CPU_MINUTES} minutes" in told) == (chosen is None)


def test_unprepared_twin_is_a_clear_error(tmp_path):
    project = create_project("empty", tmp_path)
    with pytest.raises(UserError, match="prepare"):
        TrainJob(project, "draft", "cpu").run()


def test_too_little_footage_is_a_clear_error(tmp_path):
    project = prepared(tmp_path, "short", "talking/t07_grid_speaker_a_3s.mpg")
    with pytest.raises(UserError, match="usable frames"):
        TrainJob(project, "draft", "cpu").run()


def test_footage_of_two_people_is_a_clear_error(tmp_path):
    project = prepared(tmp_path, "two", "talking/t05_man_in_suit_6s.mp4", "talking/t06_woman_blue_6s.mp4")
    with pytest.raises(UserError, match="more than one person"):
        TrainJob(project, "draft", "cpu").run()


def test_unknown_preset_and_missing_gpu_are_clear_errors(twin):
    with pytest.raises(UserError, match="preset"):
        TrainJob(twin, "huge", "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="GPU"):
            TrainJob(twin, "draft", "cuda")


def test_an_unreadable_last_checkpoint_says_how_to_start_again(fresh_twin):
    fresh_twin.checkpoints_dir.mkdir(exist_ok=True)
    (fresh_twin.checkpoints_dir / "latest.pt").write_bytes(b"cut short")
    with pytest.raises(UserError, match="--restart"):
        quick_job(fresh_twin, steps=2).run()
    assert quick_job(fresh_twin, steps=1, restart=True).run().step == 1


def test_a_twin_renamed_while_it_trains_is_not_made_again_under_its_old_name(twin, tmp_path):
    copy = shutil.copytree(twin.path, tmp_path / twin.name)
    project = open_project(twin.name, root=tmp_path)
    for path in project.checkpoints_dir.glob("*.pt"):
        path.unlink()

    def rename_at_the_first_step(event):
        if event.step == 1 and copy.exists():
            copy.rename(tmp_path / "Renamed")

    with pytest.raises(UserError, match="renamed or deleted while it trained"):
        quick_job(project, steps=2).run(rename_at_the_first_step)
    assert not copy.exists()


def test_a_checkpoint_that_does_not_fit_on_the_disk_is_said_plainly_and_the_last_one_stays(tmp_path):
    import subprocess
    import sys

    script = """
import resource, signal, sys, torch
from desktop_twin.errors import UserError
from desktop_twin.training.checkpoints import save_checkpoint
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails as on a full disk
save_checkpoint(sys.argv[1], {"weights": torch.zeros(10)})
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))
try:
    save_checkpoint(sys.argv[1], {"weights": torch.zeros(1_000_000)})
except UserError as error:
    print(error)
"""
    path = tmp_path / "latest.pt"
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert f"Cannot save the checkpoint {path}" in done.stdout and "the last checkpoint saved is kept" in done.stdout
    assert load_checkpoint(path)["weights"].shape == (10,)
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"]
