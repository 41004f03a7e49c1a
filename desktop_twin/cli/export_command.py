"""export: a trained twin into a .twin file; and describe_twin, what `info FILE.twin` shows."""

import sys
import threading
from pathlib import Path

from desktop_twin.cli.output import print_fields, print_json
from desktop_twin.cli.progress import ProgressBar
from desktop_twin.cli.stopping import stop_cleanly_on_signals
from desktop_twin.errors import UserError

MIB = 1 << 20
# quality metric -> (label, format); the held-out scores in a .twin's manifest
QUALITY_ROWS = {
    "psnr": ("face PSNR", "{:.2f} dB"),
    "mouth_psnr": ("mouth PSNR", "{:.2f} dB"),
    "ssim": ("face SSIM", "{:.3f}"),
    "identity_distance": ("identity distance", "{:.3f}"),
}
BASELINES = {"mean_frame": "mean frame", "nearest_landmarks": "nearest landmarks"}


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="write a trained twin into a .twin file",
        description="Export the twin's best checkpoint as one .twin file: the renderer as ONNX (checked "
                    "against the trained model), its measured quality, consent record and provenance.")
    parser.add_argument("name")
    parser.add_argument("out", type=Path, metavar="OUT.twin")
    parser.add_argument("--no-evaluate", action="store_true",
                        help="do not score the twin on its held-out frames (faster; less in the report card)")
    parser.add_argument("--json", action="store_true", help="print one JSON object, no progress bar")
    parser.set_defaults(run=run_export)


def run_export(args) -> int:
    from desktop_twin.export.twin_export import export_twin
    from desktop_twin.store import open_project

    project = open_project(args.name)
    cancel = threading.Event()
    with ProgressBar("Exporting", unit="stage", enabled=not args.json) as bar:
        def on_progress(event):
            bar.update(event.done, event.total)
            bar.describe(event.stage)
            if event.message and not args.json:
                bar.write(event.message)
        # Ctrl+C stops between stages: a signal inside torch's ONNX export would surface as its own error.
        with stop_cleanly_on_signals(cancel.set):
            try:
                path = export_twin(project, args.out, on_progress, cancel, measure_quality=not args.no_evaluate)
            except UserError as error:
                if not cancel.is_set():
                    raise
                print(f"desktop-twin: {error}", file=sys.stderr)
                return 130
    return describe_twin(path, args.json)


def describe_twin(path: Path, as_json: bool) -> int:
    """Validate a .twin file and print what it holds; a bad file raises UserError."""
    from desktop_twin.export.bundle import read_twin

    path = Path(path)
    bundle = read_twin(path)
    if as_json:
        print_json(twin_json(path, bundle))
    else:
        print_fields(twin_fields(path, bundle))
    return 0


def twin_json(path: Path, bundle) -> dict:
    height, width = bundle.frame_rgb.shape[:2]
    manifest = bundle.manifest.model_dump(mode="json", exclude={"neutral_landmarks"})
    return {"file": str(path), "bytes": path.stat().st_size, "frame_size": [width, height], **manifest}


def twin_fields(path: Path, bundle) -> dict[str, str]:
    manifest = bundle.manifest
    renderer, source = manifest.models.renderer, manifest.provenance
    height, width = bundle.frame_rgb.shape[:2]
    fields = {
        "name": manifest.name,
        "file": f"{path} ({path.stat().st_size / MIB:.1f} MB)",
        "made": f"{manifest.created:%Y-%m-%d %H:%M} UTC by Desktop Twin {manifest.app_version} "
                f"(format {manifest.format_version})",
        "renderer": f"{renderer.size} px, ONNX opset {renderer.opset}, {len(bundle.renderer_onnx) / MIB:.1f} MB",
        "frame": f"{width}x{height}",
        "trained": f"{source.steps} steps ({source.preset}) on {len(source.footage_sha256)} footage file(s), "
                   + _start_line(source.base_model),
        "consent": _consent_line(manifest.consent),
        "speaks": _speech_line(bundle),
    }
    fields.update(_quality_fields(manifest.quality))
    fields.update(_lipsync_fields(manifest.quality))
    return fields


def _speech_line(bundle) -> str:
    speech, idle = bundle.manifest.models.audio_motion, bundle.manifest.idle
    if speech is None:
        return "no (follows faces only)"
    line = (f"yes: audio-to-motion {len(bundle.audio_motion_onnx) / MIB:.1f} MB, "
            f"{speech.frames_after * 1000 // speech.mel_rate} ms look-ahead")
    if idle is not None:
        line += f"; blinks {idle.blinks_per_minute:.0f}/min ({idle.blinks_from})"
    return line


def _lipsync_fields(quality: dict) -> dict[str, str]:
    lipsync = quality.get("lipsync")
    if not isinstance(lipsync, dict) or not all(isinstance(lipsync.get(k), dict) for k in ("model", "neutral", "loudness")):
        return {}
    cells = {name: lipsync[name].get("opening_correlation") for name in ("model", "neutral", "loudness")}
    errors = {name: lipsync[name].get("mouth_landmark_error_px") for name in ("model", "neutral", "loudness")}
    if not all(_is_number(v) for v in (*cells.values(), *errors.values())):
        return {}
    return {"lip sync": f"{lipsync.get('frames')} held-out frames (baselines: neutral face, loudness alone)",
            "  mouth opening correlation": f"{cells['model']:.3f} ({cells['neutral']:.3f}, {cells['loudness']:.3f})",
            "  mouth landmark error (px)": f"{errors['model']:.2f} ({errors['neutral']:.2f}, {errors['loudness']:.2f})"}


def _start_line(base_model: str) -> str:
    return "from scratch" if base_model == "scratch" else f"from base model {base_model[:12]}"


def _consent_line(consent) -> str:
    if consent is None:
        return "none recorded"
    return f"{consent.name}, recorded {consent.recorded} ({consent.seconds:.0f} s clip, sha256 {consent.sha256[:12]})"


def _quality_fields(quality: dict) -> dict[str, str]:
    fields = {}
    parity = quality.get("onnx_max_abs_difference")
    if _is_number(parity):
        fields["ONNX parity"] = f"max abs difference {parity:.2g} vs the trained model"
    held_out = quality.get("held_out")
    if isinstance(held_out, dict) and isinstance(held_out.get("twin"), dict):
        frames = held_out.get("frames")
        fields["held-out"] = f"{frames} frames: the twin (baselines: {', '.join(BASELINES.values())})"
        for key, (label, number) in QUALITY_ROWS.items():
            scores = [held_out.get(name) for name in ("twin", *BASELINES)]
            cells = [number.format(s[key]) if isinstance(s, dict) and _is_number(s.get(key)) else "?" for s in scores]
            fields[f"  {label}"] = f"{cells[0]} ({', '.join(cells[1:])})"
    elif isinstance(quality.get("training_held_out"), dict) and _is_number(quality["training_held_out"].get("psnr")):
        fields["held-out"] = f"face PSNR {quality['training_held_out']['psnr']:.2f} dB (while training)"
    else:
        fields["held-out"] = "not measured"
    return fields


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
