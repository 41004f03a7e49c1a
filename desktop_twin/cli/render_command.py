"""render: a video of a .twin driven by another video, with that video's audio."""

from pathlib import Path

from desktop_twin.cli.progress import ProgressBar

PROVIDERS = ("auto", "cuda", "cpu")  # runtime.sessions.CHOICES, named here so the parser loads no ONNX Runtime


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "render", help="render an MP4 of a .twin driven by a video",
        description="Drive the twin with every frame of a video (someone else, or the twin's own person): "
                    "the twin copies the head's motion and the expression. The video's audio is carried over.")
    parser.add_argument("twin", type=Path, metavar="FILE.twin")
    parser.add_argument("--drive", type=Path, required=True, metavar="VIDEO", help="the video that drives the twin")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.mp4")
    parser.add_argument("--side-by-side", action="store_true", help="the driving video on the left, the twin on the right")
    parser.add_argument("--provider", choices=PROVIDERS, default="auto",
                        help="where the models run (default: the GPU when CUDA works, else the CPU)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.runtime.render_video import render_video
    from desktop_twin.runtime.sessions import CHOICES

    bundle = read_twin(args.twin)
    with ProgressBar("Rendering", unit="frame") as bar:
        result = render_video(bundle, args.drive, args.out, args.side_by_side, CHOICES[args.provider],
                              progress=lambda p: bar.update(p.frames_done, p.frames_total))
    audio = "with the video's audio" if result.has_audio else "no audio (the driving video has none)"
    print(f"Wrote {result.path}: {result.frames} frames at {result.fps:g} fps, {result.width}x{result.height}, "
          f"{audio}.")
    print(f"A face drove {result.frames_with_face} of {result.frames} frames; the renderer ran on "
          f"{result.providers['renderer']}.")
    if result.frames_with_face == 0:
        print(f"No face was found in {args.drive.name}, so the twin stayed at rest: drive it with a video "
              f"of a face looking at the camera.")
    return 0
