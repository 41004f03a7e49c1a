"""train and pretrain: fine-tune a twin, or pretrain the base renderer."""

import threading
from pathlib import Path

from desktop_twin.cli.arguments import fraction, not_negative, positive
from desktop_twin.cli.output import print_json
from desktop_twin.cli.progress import ProgressBar
from desktop_twin.cli.stopping import stop_cleanly_on_signals
from desktop_twin.errors import command
from desktop_twin.training.presets import CPU_MINUTES, DEFAULT_PRESET, PHOTO_SHARE

STOPPED = {"time limit": "reached its time limit", "cancelled": "stopped"}  # else as the result says it


def add_parsers(subparsers) -> None:
    train = subparsers.add_parser("train", help="fine-tune the twin on its prepared footage")
    train.add_argument("name")
    train.add_argument("--preset", choices=["draft", "standard", "high"],
                       help=f"default: the last run's, else {DEFAULT_PRESET}")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    train.add_argument("--steps", type=positive(int), help="the most steps to run (default: the preset's)")
    train.add_argument("--minutes", type=not_negative(float),
                       help=f"stop after this many minutes (default on a CPU: {CPU_MINUTES}, unless --steps is "
                            "given; 0: no limit)")
    train.add_argument("--restart", action="store_true",
                       help="ignore the last checkpoint and start again from the base model")
    train.add_argument("--from-scratch", action="store_true",
                       help="ignore the base model and any checkpoint (to measure what the base brings)")
    train.add_argument("--no-speech", action="store_true",
                       help="skip learning to speak from the footage's sound (the twin then follows faces only)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(run=run_train)

    pretrain = subparsers.add_parser("pretrain", help="pretrain the base renderer on folders of videos and photos")
    pretrain.add_argument("--data", type=Path, nargs="+", required=True, metavar="DIR")
    pretrain.add_argument("--out", type=Path, required=True, metavar="FILE")
    pretrain.add_argument("--steps", type=positive(int), default=20000)
    pretrain.add_argument("--minutes", type=positive(float))
    pretrain.add_argument("--batch-size", type=positive(int), default=16)
    pretrain.add_argument("--workers", type=int, default=0, help="data-loading processes (use several on a GPU)")
    pretrain.add_argument("--exclude", nargs="*", default=[], help="skip videos whose names contain these")
    pretrain.add_argument("--pack", type=Path, help="the pack file to build or reuse (default: beside --out)")
    pretrain.add_argument("--init", type=Path, metavar="FILE", help="continue from an earlier base model")
    pretrain.add_argument("--photo-share", type=fraction, default=PHOTO_SHARE,
                          help="the share of samples drawn from photos when there are videos too "
                               f"(default {PHOTO_SHARE})")
    pretrain.set_defaults(run=run_pretrain)

    speech = subparsers.add_parser(
        "pretrain-speech", help="pretrain the base audio-to-motion model on videos of people talking",
        description="Track the faces and read the sound of videos of people talking to the camera, and learn "
                    "the mouth's motion from the sound across them: the base every twin fine-tunes to speak.")
    speech.add_argument("--data", type=Path, nargs="+", required=True, metavar="DIR")
    speech.add_argument("--out", type=Path, required=True, metavar="FILE")
    speech.add_argument("--steps", type=positive(int), default=1500)
    speech.add_argument("--exclude", nargs="*", default=[], help="skip videos whose names contain these")
    speech.add_argument("--cache", type=Path, metavar="DIR", help="keep the tracked videos here for the next run")
    speech.add_argument("--seed", type=int, default=0)
    speech.set_defaults(run=run_pretrain_speech)


def run_train(args) -> int:
    from desktop_twin.store import open_project
    from desktop_twin.training.devices import device_name
    from desktop_twin.training.trainer import TrainJob, resumable_preset

    project = open_project(args.name)
    resumes = not (args.restart or args.from_scratch)
    preset = args.preset or (resumes and resumable_preset(project)) or DEFAULT_PRESET
    job = TrainJob(project, preset, args.device, args.steps, args.minutes, args.from_scratch,
                   speech=not args.no_speech, restart=args.restart)
    with ProgressBar(f"Training ({preset})", unit="step", enabled=not args.json) as bar:
        limit = f" for at most {job.minutes:g} minutes" if job.minutes else ""
        if not args.json:  # on a terminal too: the time limit is worth knowing before the run
            bar.write(f"Training ({preset}) on {device_name(job.device)}{limit}; held-out quality every "
                      f"{job.preset.eval_every} steps.")

        def on_progress(event):
            if event.message and not args.json:
                bar.write(event.message)
            if event.step:
                bar.update(event.step, event.total_steps)
                held = f" held-out {event.held_out['psnr']:.2f} dB" if event.held_out else ""
                bar.describe(f"loss {event.losses['total']:.4f}{held} on {event.device}")
                if event.held_out:
                    bar.milestone(f"Step {event.step} of {event.total_steps}: held-out {event.held_out['psnr']:.2f} dB "
                                  f"PSNR, SSIM {event.held_out['ssim']:.3f}; loss {event.losses['total']:.4f}.")
        cancel = threading.Event()
        with stop_cleanly_on_signals(cancel.set):  # the run stops between steps and saves its checkpoint
            result = job.run(on_progress, cancel)
    summary = {"preset": preset, "step": result.step, "stopped": result.stopped, "held_out": result.held_out,
               "checkpoint": result.checkpoint, "speech": result.speech}
    if args.json:
        print_json(summary)
    else:
        held = result.held_out
        print(f"Training ({preset}) {STOPPED.get(result.stopped, result.stopped)} at step {result.step}."
              + (f" Best held-out: {held['psnr']:.2f} dB PSNR, SSIM {held['ssim']:.3f} "
                 f"(mouth {held['mouth_psnr']:.2f} dB)." if held else ""))
        if result.stopped in ("cancelled", "time limit"):
            print(f"Its checkpoint is saved: run `{command('train', project.name)}` again to go on.")
    return 130 if result.stopped == "cancelled" else 0


def run_pretrain(args) -> int:
    from desktop_twin.training.pack_builder import build_pack
    from desktop_twin.training.pretrain import pretrain

    pack = args.pack or args.out.with_suffix(".pack.npz")
    if not pack.is_file():
        print(build_pack(args.data, pack, exclude=tuple(args.exclude), progress=print))
    with ProgressBar("Pretraining", unit="step") as bar:
        def on_progress(step, losses):
            bar.describe(f"loss {losses['total']:.4f}")
            bar.update(step, args.steps)
        summary = pretrain(pack, args.out, args.steps, args.batch_size, minutes=args.minutes,
                           workers=args.workers, init=args.init, photo_share=args.photo_share,
                           progress=on_progress)
    print(f"Wrote {args.out}: {summary['steps']} steps in {summary['seconds'] / 60:.1f} min on {summary['device']}.")
    return 0


def run_pretrain_speech(args) -> int:
    from desktop_twin.errors import UserError
    from desktop_twin.training.pack_builder import find_sources
    from desktop_twin.training.speech_training import pretrain_audio_motion

    videos, _ = find_sources(args.data)
    videos = [v for v in videos if not any(x in v.name for x in args.exclude)]
    if not videos:
        raise UserError("No videos found under " + ", ".join(str(d) for d in args.data) + ".")
    summary = pretrain_audio_motion(videos, args.out, args.steps, args.cache, args.seed, progress=print)
    print(f"Wrote {args.out}: {summary['steps']} steps on {summary['frames']} frames of {len(summary['clips'])} "
          f"videos in {summary['seconds'] / 60:.1f} min.")
    return 0
