"""Lip sync on held-out footage: the last 15 s of t01's sound driving its twin trained on the first 56 s.

    DESKTOP_TWIN_HOME=/tmp/lipsync python -m tests.benchmarks.lipsync [--renderer-steps 300]
        [--plot FILE] [--render DIR]

Imports and prepares talking/t01 (71 s) into a twin called "lipsync" and trains it: the draft
renderer for --renderer-steps, then learning to speak, fine-tuned from the bundled base
(resources/models/audio_motion_base.pt, pretrained on t02-t09: t01 never seen). Then scores, on
the 375 held-out frames, the mouth landmark error (px at 256) and the correlation of the mouth's
opening with the real one over time, for the fine-tuned model, the base before fine-tuning, and
two baselines: the neutral face (no motion) and the mouth moved by the sound's loudness alone.
Prints JSON lines and a table.

With --plot FILE: draws the mouth's opening over the held-out seconds, real against the model and
the loudness baseline (a chart shows lip sync without showing the person).

With --render DIR: exports the twin to DIR/lipsync.twin and renders it speaking the held-out
seconds' sound and a LibriSpeech utterance (someone else's voice) into DIR, with a few frames as PNG.
The live microphone's latency is measured by tests/runtime/test_live_speech.py (run it with -s).
"""

import argparse
import json
import os
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from desktop_twin.capture.audio import SAMPLE_RATE, read_audio
from desktop_twin.capture.footage import import_footage
from desktop_twin.face.prepare import prepare_project
from desktop_twin.store import create_project, list_projects, open_project
from desktop_twin.training.lipsync import evaluate_lipsync, held_out_mouths
from desktop_twin.training.motion_features import mouth_opening
from desktop_twin.training.speech_training import load_base
from desktop_twin.training.trainer import TrainJob
from tests.benchmarks.charts import line_chart

DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
CLIP = DATA / "talking" / "t01_news_correspondent_71s.mp4"
OTHER_VOICE = DATA / "speech" / "librispeech_test_other" / "1688" / "1688-142285-0000.flac"
HELD_OUT_SECONDS = 15.0
ROWS = {"mouth_landmark_error_px": ("mouth landmark error (px @256)", "{:.2f}"),
        "opening_correlation": ("mouth opening correlation", "{:.3f}"),
        "opening_std_ratio": ("opening spread / real", "{:.2f}")}


def trained_twin(renderer_steps: int):
    if "lipsync" not in [p.name for p in list_projects()]:
        project = create_project("lipsync")
        import_footage(project, CLIP)
        prepare_project(project)
    project = open_project("lipsync")
    started = time.monotonic()
    result = TrainJob(project, "draft", "auto", steps=renderer_steps).run(
        lambda e: e.message and print(json.dumps({"message": e.message}), flush=True))
    print(json.dumps({"trained_seconds": round(time.monotonic() - started, 1), "speech": result.speech}), flush=True)
    return project


def figures(project) -> dict:
    tuned = evaluate_lipsync(project)
    base, _ = load_base()
    before = evaluate_lipsync(project, base.eval())
    return {"frames": tuned["frames"], "seconds": tuned["seconds"], "fine-tuned": tuned["model"],
            "base (no fine-tuning)": before["model"], "neutral": tuned["neutral"], "loudness": tuned["loudness"]}


PLOT_COLOURS = {"real": (40, 40, 40), "model": (200, 90, 20), "loudness": (40, 150, 240)}  # BGR


def plot_openings(project, path: Path) -> Path:
    """The inner-lip gap over the held-out seconds: the real mouth, the model's and loudness's."""
    real, candidates, seconds = held_out_mouths(project)
    openings = {"real": mouth_opening(real), "model": mouth_opening(candidates["model"]),
                "loudness": mouth_opening(candidates["loudness"])}
    times = np.arange(len(real)) / len(real) * seconds
    series = {name: (times, values, PLOT_COLOURS[name], 2 if name == "real" else 1)
              for name, values in openings.items()}
    return line_chart(path, series, "mouth opening (inner-lip gap / eye distance), t01's held-out 15 s",
                      [(s, f"{s}s") for s in range(int(seconds) + 1)])


def print_table(result: dict) -> None:
    columns = [c for c in result if c not in ("frames", "seconds")]
    print(f"\n{result['frames']} held-out frames ({result['seconds']:g} s)")
    print(f"{'':<32}" + "".join(f"{c:>22}" for c in columns))
    for key, (label, number) in ROWS.items():
        print(f"{label:<32}" + "".join(f"{number.format(result[c][key]):>22}" for c in columns))


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=SAMPLE_RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray((np.clip(samples, -1, 1) * 32767).astype(np.int16)[None], format="s16",
                                           layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, 0, Fraction(1, SAMPLE_RATE)
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def render_samples(project, folder: Path) -> None:
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.export.twin_export import export_twin
    from desktop_twin.runtime.render_speech import render_speech

    folder.mkdir(parents=True, exist_ok=True)
    bundle = read_twin(export_twin(project, folder / "lipsync.twin", measure_quality=False))
    samples = read_audio(CLIP)
    held_out = write_wav(folder / "held_out_sound.wav", samples[-round(HELD_OUT_SECONDS * SAMPLE_RATE):])
    for name, sound in (("held_out", held_out), ("librispeech", OTHER_VOICE)):
        frames = {}
        keep = {25, 100, 175, 250}
        result = render_speech(bundle, sound, folder / f"{name}.mp4",
                               on_frame=lambda i, f: frames.update({i: f.twin_bgr}) if i in keep else None)
        for index, image in frames.items():
            cv2.imwrite(str(folder / f"{name}_{index:04d}.png"), image)
        print(json.dumps({"rendered": str(result.path), "frames": result.frames, "seconds": result.seconds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderer-steps", type=int, default=300)
    parser.add_argument("--render", type=Path, metavar="DIR")
    parser.add_argument("--plot", type=Path, metavar="FILE")
    args = parser.parse_args()
    project = trained_twin(args.renderer_steps)
    result = figures(project)
    print(json.dumps(result))
    print_table(result)
    if args.plot is not None:
        print(json.dumps({"plot": str(plot_openings(project, args.plot))}))
    if args.render is not None:
        render_samples(project, args.render)


if __name__ == "__main__":
    main()
