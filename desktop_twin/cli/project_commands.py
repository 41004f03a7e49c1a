"""new, list, import, info: twin projects from the command line."""

from pathlib import Path

from desktop_twin.cli.output import print_fields, print_json
from desktop_twin.errors import UserError


def add_parsers(subparsers) -> None:
    new = subparsers.add_parser("new", help="create an empty twin")
    new.add_argument("name")
    new.set_defaults(run=run_new)

    listing = subparsers.add_parser("list", help="list the twins")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_list)

    importing = subparsers.add_parser("import", help="add video files to a twin")
    importing.add_argument("name")
    importing.add_argument("videos", nargs="+", type=Path, metavar="VIDEO",
                           help="video files, or a take's folder of tracks that a full disk or a crash left")
    importing.set_defaults(run=run_import)

    info = subparsers.add_parser("info", help="describe a twin (or a .twin file)")
    info.add_argument("target", metavar="NAME|FILE.twin")
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=run_info)


def run_new(args) -> int:
    from desktop_twin.store import create_project

    project = create_project(args.name)
    print(f"Created twin {project.name!r} in {project.path}")
    return 0


def run_list(args) -> int:
    from desktop_twin.store import data_root, list_projects

    projects = list_projects()
    if args.json:
        print_json([{"name": p.name, "status": p.manifest.status, "path": str(p.path)} for p in projects])
    elif not projects:
        print(f"No twins yet in {data_root()}. Create one with: desktop-twin new NAME")
    for project in projects if not args.json else []:
        print(f"{project.name}\t{project.manifest.status}")
    return 0


def run_import(args) -> int:
    from desktop_twin.capture.combine import combine_recording, is_kept_take
    from desktop_twin.capture.footage import file_sha256, import_footage, probe_footage, refuse_if_imported
    from desktop_twin.capture.session import TAKE_FOLDER, take_video_path
    from desktop_twin.store import open_project

    def kept_take_video(tracks: Path) -> Path:
        # A session's take is named after its session, as a finished one is: the app then knows it is in.
        return combine_recording(tracks, take_video_path(tracks) if tracks.name == TAKE_FOLDER else None)

    project = open_project(args.name)
    videos = [kept_take_video(path) if is_kept_take(path) else path for path in args.videos]
    given: dict[str, str] = {}
    for video in videos:  # check them all first, so a bad one imports nothing
        probe_footage(video)
        digest = file_sha256(video)
        refuse_if_imported(project, video, digest)
        if digest in given:
            raise UserError(f"{video.name} and {given[digest]} are the same video: give it once.")
        given[digest] = video.name
    for video in videos:
        entry = import_footage(project, video)
        audio = "with audio" if entry.has_audio else "no audio track"
        print(f"Imported {video.name}: {entry.duration_seconds:.1f} s at {entry.fps:g} fps, "
              f"{entry.width}x{entry.height}, {audio}")
    return 0


def run_info(args) -> int:
    from desktop_twin.store import names_a_twin_file, open_project

    if names_a_twin_file(args.target):
        from desktop_twin.cli.export_command import describe_twin

        return describe_twin(Path(args.target), args.json)
    project = open_project(args.target)
    manifest = project.manifest
    if args.json:
        print_json({"path": str(project.path), "status": manifest.status, **manifest.model_dump(mode="json")})
        return 0
    fields = {"name": manifest.name, "status": manifest.status, "folder": project.path,
              "created": manifest.created, "footage": f"{len(manifest.footage)} file(s), "
              f"{sum(f.duration_seconds for f in manifest.footage):.1f} s"}
    if manifest.prepared:
        p = manifest.prepared
        fields["prepared"] = (f"{p.frames_with_face}/{p.frames} frames with a face, "
                              f"{p.speech_seconds:.1f} s of speech")
        fields.update({f"warning {i + 1}": w for i, w in enumerate(p.warnings)})
    print_fields(fields)
    return 0
