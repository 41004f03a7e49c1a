"""A twin project is a folder under the data root; this module creates, finds and changes them."""

import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from desktop_twin.errors import UserError, command, write_failure
from desktop_twin.store.lock import twin_lock
from desktop_twin.store.manifest import MANIFEST_NAME, ProjectManifest, load_manifest, save_manifest
from desktop_twin.store.paths import data_root

DELETING = ".deleting-"  # a twin folder being deleted is first renamed into one of these

MAX_NAME_LENGTH = 64
TWIN_FILE_SUFFIX = ".twin"  # an exported twin; a project's name never ends so, so a command can tell them apart
_FORBIDDEN_CHARACTERS = set('/\\:*?"<>|')


@dataclass
class TwinProject:
    path: Path
    manifest: ProjectManifest

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def footage_dir(self) -> Path:
        return self.path / "footage"

    @property
    def prepared_dir(self) -> Path:
        return self.path / "prepared"

    @property
    def recordings_dir(self) -> Path:
        return self.path / "recordings"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    def save(self) -> None:
        save_manifest(self.path / MANIFEST_NAME, self.manifest)

    def reload(self) -> None:
        """The manifest as it is on disk now: another process may have changed it."""
        self.manifest = load_manifest(self.path / MANIFEST_NAME)

    @contextmanager
    def writing(self) -> Iterator["TwinProject"]:
        """How every writer works on a twin: alone (twin_lock), from its manifest as it is on disk now,
        not as it was when the caller opened the twin."""
        with twin_lock(self.path, self.name):
            self.reload()
            yield self


def validate_name(name: str) -> str:
    """Return the name, stripped, or raise UserError saying what is wrong with it."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise UserError("A twin needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise UserError(f"A twin's name can be at most {MAX_NAME_LENGTH} characters long.")
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARACTERS})
    if bad:
        raise UserError(f"A twin's name cannot contain {' '.join(bad)}: {name!r}.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise UserError("A twin's name cannot contain control characters.")
    if name.startswith("."):
        raise UserError("A twin's name cannot start with a dot.")
    if names_a_twin_file(name):
        raise UserError(f"A twin's name cannot end in {TWIN_FILE_SUFFIX}: that names a twin file, not a twin.")
    return name


def list_projects(root: Path | None = None) -> list[TwinProject]:
    """Every readable project under the data root, by name; damaged ones are skipped."""
    root = root or data_root()
    projects = []
    for folder in sorted(root.glob("*/")) if root.is_dir() else []:
        if folder.name.startswith(".") or not (folder / MANIFEST_NAME).is_file():
            continue
        try:
            projects.append(TwinProject(folder, load_manifest(folder / MANIFEST_NAME)))
        except UserError:
            continue
    return projects


def names_a_twin_file(target: str) -> bool:
    """Whether a command's NAME|FILE.twin argument is a twin file rather than a project's name."""
    return target.casefold().endswith(TWIN_FILE_SUFFIX)


def open_project(name: str, root: Path | None = None) -> TwinProject:
    folder = (root or data_root()) / validate_name(name)
    if not (folder / MANIFEST_NAME).is_file():
        if folder.is_dir():
            raise UserError(f"The folder {folder} holds no twin: its {MANIFEST_NAME} is missing. "
                            "Put the file back, or move the folder away to use the name.")
        raise UserError(f"There is no twin called {name!r}. Create it with: {command('new', name)}")
    return TwinProject(folder, load_manifest(folder / MANIFEST_NAME))


def create_project(name: str, root: Path | None = None) -> TwinProject:
    name = validate_name(name)
    root = root or data_root()
    _check_no_clash(name, root)
    folder = root / name
    try:
        folder.mkdir(parents=True)
    except OSError as error:
        raise UserError(f"Cannot create the twin's folder {folder}: {error.strerror}.") from None
    project = TwinProject(folder, ProjectManifest(name=name))
    try:
        project.save()
    except OSError as error:  # an empty folder left would keep the name from being used again
        shutil.rmtree(folder, ignore_errors=True)
        raise UserError(f"Cannot create the twin {name!r}: {write_failure(error)}") from None
    return project


def rename_project(project: TwinProject, new_name: str) -> TwinProject:
    new_name = validate_name(new_name)
    root = project.path.parent
    if new_name.casefold() != project.name.casefold():
        _check_no_clash(new_name, root)
    new_folder = root / new_name
    with project.writing():
        project.path.rename(new_folder)
        renamed = TwinProject(new_folder, project.manifest.model_copy(update={"name": new_name}))
        try:
            renamed.save()
        except OSError as error:  # the folder goes back: a folder and a manifest that disagree are no twin
            reason = write_failure(error)
            try:
                new_folder.rename(project.path)
            except OSError:
                raise UserError(f"Cannot rename {project.name!r}: {reason} Its folder is now {new_folder}: "
                                f"rename that folder back to {project.path.name} to open it again.") from None
            raise UserError(f"Cannot rename {project.name!r}: {reason}") from None
    return renamed


def delete_project(project: TwinProject) -> None:
    # Rename first so a crash mid-delete leaves a hidden folder, not a half-project; what an
    # earlier delete cut short left is cleared on the way.
    root = project.path.parent
    with twin_lock(project.path, project.name):  # not writing(): a twin whose manifest is damaged goes too
        doomed = Path(tempfile.mkdtemp(prefix=f"{DELETING}{project.path.name}-", dir=root))
        project.path.rename(doomed / project.path.name)
    for leftover in root.glob(f"{DELETING}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _check_no_clash(name: str, root: Path) -> None:
    # Compare case-insensitively: on macOS and Windows "Ann" and "ann" are one folder.
    clash = next((p for p in root.iterdir() if p.name.casefold() == name.casefold()), None) if root.is_dir() else None
    if clash is not None and not (clash / MANIFEST_NAME).is_file():
        raise UserError(f"The folder {clash} is in the way: it holds no twin. Move it away or choose another name.")
    if clash is not None:
        raise UserError(f"A twin called {name!r} already exists. Choose another name.")
