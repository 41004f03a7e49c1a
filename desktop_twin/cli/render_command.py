"""render: a video of a .twin driven by another video (with that video's audio), or speaking an audio file."""

from pathlib import Path

from desktop_twin.cli.arguments import positive
from desktop_twin.cli.progress import ProgressBar

PROVIDERS = ("auto", "cuda", "cpu")  # runtime.sessions.CHOICES, named here so the parser loads no ONNX Runtime


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "render", help="render an MP4 of a .twin driven by a video, or speaking an audio file",
        description="With --drive, drive the twin with every frame of a video (someone else, or the twin's own "
                    "person): the twin copies the head's motion and the expression, and the video's audio is "
                    "carried over. With --audio, the twin speaks the sound of an audio (or video) file, its lips "
                    "in sync, blinking and moving its head as its person does; the sound is muxed in.")
    parser.add_argument("twin", type=Path, metavar="FILE.twin")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--drive", type=Path, metavar="VIDEO", help="the video that drives the twin")
    source.add_argument("--audio", type=Path, metavar="SPEECH", help="the sound the twin speaks (WAV, FLAC, MP3, a video...)")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.mp4")
    parser.add_argument("--side-by-side", action="store_true",
                        help="with --drive: the driving video on the left, the twin on the right")
    parser.add_argument("--fps", type=positive(float), default=25.0,
                        help="with --audio: frames per second (default 25)")
    parser.add_argument("--provider", choices=PROVIDERS, default="auto",
                        help="where the models run (default: the GPU when CUDA works, else the CPU)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from desktop_twin.export.bundle import read_twin
    from desktop_twin.runtime.render_video import render_video
    from desktop_twin.runtime.sessions import CHOICES

    bundle = read_twin(args.twin)
    if args.audio is not None:
        return run_speech(bundle, args)
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


def run_speech(bundle, args) -> int:
    from desktop_twin.errors import UserError
    from desktop_twin.runtime.render_speech import render_speech
    from desktop_twin.runtime.sessions import CHOICES

    if args.side_by_side:
        raise UserError("--side-by-side needs a driving video (--drive); a twin speaking audio has nothing beside it.")
    if not 1.0 <= args.fps <= 120.0:
        raise UserError(f"--fps {args.fps:g} is out of range: use 1 to 120 frames per second.")
    with ProgressBar("Rendering", unit="frame") as bar:
        result = render_speech(bundle, args.audio, args.out, args.fps, CHOICES[args.provider],
                               progress=lambda p: bar.update(p.frames_done, p.frames_total))
    print(f"Wrote {result.path}: {result.frames} frames at {result.fps:g} fps, {result.width}x{result.height}, "
          f"{result.seconds:.1f} s of {args.audio.name} spoken" + (" (sound muxed in)." if result.has_audio else "."))
    print(f"The renderer ran on {result.providers['renderer']}, the speech model on {result.providers['audio_motion']}.")
    return 0
