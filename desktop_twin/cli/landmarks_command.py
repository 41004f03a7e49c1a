"""landmarks: the 478-point landmark track of any video, for power users and accuracy checks."""

from pathlib import Path

from desktop_twin.cli.progress import ProgressBar


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser("landmarks", help="write a video's landmark track to an .npz file")
    parser.add_argument("video", type=Path)
    parser.add_argument("--out", type=Path, required=True, metavar="TRACK.npz")
    parser.set_defaults(run=run)


def run(args) -> int:
    from desktop_twin.face.landmark_track import check_track_path, track_video, write_track

    check_track_path(args.out, args.video)  # before minutes of tracking, not after
    with ProgressBar("Tracking", unit="frame") as bar:
        track = track_video(args.video, progress=bar.update)
    write_track(args.out, track)
    found = int((track.score > 0).sum())
    print(f"Wrote {args.out}: {len(track.score)} frames, a face in {found}.")
    return 0
