import errno
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_twin.errors import UserError, command
from desktop_twin.store import (
    create_project,
    data_root,
    delete_project,
    list_projects,
    names_a_twin_file,
    open_project,
    rename_project,
    validate_name,
)
from desktop_twin.store import project as project_module
from desktop_twin.store.atomic import NEW_FILE_MODE, atomic_write_bytes, sync_tree
from desktop_twin.store.manifest import SCHEMA_VERSION, load_manifest


def test_data_root_follows_the_environment(fresh_data_root):
    assert data_root() == fresh_data_root


def test_create_open_and_list(fresh_data_root):
    project = create_project("Ann")
    assert project.path == fresh_data_root / "Ann"
    assert open_project("Ann").manifest == project.manifest
    assert [p.name for p in list_projects()] == ["Ann"]
    assert project.manifest.status == "empty"


@pytest.mark.parametrize("name", ["", "   ", "a/b", "a\\b", "..", ".hidden", "x" * 65, "tab\there", "a:b", "mine.TWIN"])
def test_bad_names_are_refused_with_a_message(name):
    with pytest.raises(UserError) as error:
        validate_name(name)
    assert str(error.value)


def test_names_may_be_any_language():
    assert validate_name("  Zoë 李 ") == "Zoë 李"


def test_clashing_names_are_refused_whatever_the_case():
    create_project("Ann")
    with pytest.raises(UserError, match="already exists"):
        create_project("ann")


def test_a_folder_without_a_manifest_is_named_as_such_by_every_command(fresh_data_root):
    (fresh_data_root / "Zed").mkdir(parents=True)
    with pytest.raises(UserError, match="holds no twin: its manifest.json is missing"):
        open_project("Zed")
    with pytest.raises(UserError, match="is in the way: it holds no twin"):
        create_project("zed")


def test_suggested_commands_run_as_shown_whatever_the_name():
    with pytest.raises(UserError) as error:
        open_project("Ann Lee")
    assert str(error.value).endswith("Create it with: desktop-twin new 'Ann Lee'")
    assert shlex.split(command("train", "Zoë 李's")) == ["desktop-twin", "train", "Zoë 李's"]
    assert names_a_twin_file("ann.TWIN") and not names_a_twin_file("Ann")


def test_rename_keeps_what_happened_to_the_twin_since_it_was_opened():
    from desktop_twin.capture.footage import import_footage
    from tests.conftest import shared_file

    stale = create_project("Ann")  # as a rename dialog holds it, opened before an import finished
    import_footage(open_project("Ann"), shared_file("talking/t05_man_in_suit_6s.mp4"))
    renamed = rename_project(stale, "Bea")
    assert len(renamed.manifest.footage) == 1 and len(open_project("Bea").manifest.footage) == 1


def test_rename_and_delete():
    project = create_project("Ann")
    renamed = rename_project(project, "Bea")
    assert not project.path.exists()
    assert open_project("Bea").name == "Bea"
    delete_project(renamed)
    assert list_projects() == []


def test_a_delete_cut_short_blocks_no_later_delete():
    leftover = data_root() / ".deleting-Fay"  # what a delete killed mid-way left
    (leftover / "footage").mkdir(parents=True)
    (leftover / "footage" / "clip.mp4").write_bytes(b"x")
    delete_project(create_project("Fay"))
    assert list_projects() == [] and list(data_root().iterdir()) == []


def test_unwritable_data_root_is_a_clear_error(tmp_path, monkeypatch):
    if os.geteuid() == 0:
        # root ignores permissions: point the root below a regular file instead
        blocker = tmp_path / "file"
        blocker.write_text("")
        monkeypatch.setenv("DESKTOP_TWIN_HOME", str(blocker / "twins"))
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        monkeypatch.setenv("DESKTOP_TWIN_HOME", str(locked / "twins"))
    with pytest.raises(UserError, match="Cannot create"):
        create_project("Ann")


def test_manifest_from_a_newer_version_is_refused_plainly():
    project = create_project("Ann")
    path = project.path / "manifest.json"
    raw = json.loads(path.read_text())
    raw["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(raw))
    with pytest.raises(UserError, match="newer version"):
        load_manifest(path)


@pytest.mark.parametrize("content", ["{not json", '{"schema_version": 1}', '{"schema_version": 1, "name": 5}', "[]"])
def test_damaged_manifest_is_a_clear_error(content):
    project = create_project("Ann")
    (project.path / "manifest.json").write_text(content)
    with pytest.raises(UserError) as error:
        open_project("Ann")
    assert list_projects() == []  # the library skips it instead of failing
    message = str(error.value)
    assert message.startswith(f"The project manifest {project.path / 'manifest.json'} ")
    assert "\n" not in message and "pydantic" not in message  # a line a person reads, no validator's links


def test_a_crash_while_saving_keeps_the_old_manifest(monkeypatch):
    project = create_project("Ann")
    before = (project.path / "manifest.json").read_text()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    project.manifest.footage = []
    project.manifest.name = "changed"
    with pytest.raises(OSError):
        project.save()
    assert (project.path / "manifest.json").read_text() == before
    assert [p.name for p in project.path.iterdir()] == ["manifest.json"]  # no temporary left


class FullDisk:
    """Writing a twin's manifest fails as on a full disk, while `full`."""

    def __init__(self, monkeypatch):
        self.full = True
        real = project_module.save_manifest

        def save(*args):
            if self.full:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(*args)

        monkeypatch.setattr(project_module, "save_manifest", save)


def test_a_twin_made_on_a_full_disk_leaves_no_folder_in_the_way_of_its_name(monkeypatch):
    disk = FullDisk(monkeypatch)
    with pytest.raises(UserError, match=r"^Cannot create the twin 'Ann': No space left on device\. Free some space"):
        create_project("Ann")
    assert list(data_root().iterdir()) == []
    disk.full = False
    assert create_project("Ann").name == "Ann"


def test_a_rename_on_a_full_disk_leaves_the_twin_as_it_was(monkeypatch):
    project = create_project("Ann")
    FullDisk(monkeypatch)
    with pytest.raises(UserError, match="^Cannot rename 'Ann': No space left on device"):
        rename_project(project, "Bea")
    assert [p.name for p in data_root().iterdir()] == ["Ann"] and open_project("Ann").name == "Ann"


def test_footage_imported_on_a_full_disk_is_not_left_behind(monkeypatch):
    from desktop_twin.capture.footage import import_footage
    from tests.conftest import shared_file

    project = create_project("Ann")
    FullDisk(monkeypatch)  # room for the video, none left for the manifest
    with pytest.raises(UserError, match=r"^Cannot add t05_man_in_suit_6s\.mp4 to the twin: No space left"):
        import_footage(project, shared_file("talking/t05_man_in_suit_6s.mp4"))
    assert list(project.footage_dir.iterdir()) == [] and open_project("Ann").manifest.footage == []


def synced_paths(monkeypatch) -> list[Path]:
    """The files and folders fsync()ed from now on (the disk's edge), by their path at the time."""
    synced, real = [], os.fsync

    def fsync(fd):
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_a_tree_about_to_be_published_is_on_the_disk_file_by_file(tmp_path, monkeypatch):
    (tmp_path / "crops").mkdir()
    for name in ("crops/00000.npy", "crops/00001.npy", "track.npz"):
        (tmp_path / name).write_bytes(b"x")
    synced = synced_paths(monkeypatch)
    sync_tree(tmp_path)
    assert set(synced) == {tmp_path, tmp_path / "crops", tmp_path / "track.npz", *(tmp_path / "crops").iterdir()}


def test_imported_footage_is_on_the_disk_before_the_manifest_names_it(monkeypatch):
    from desktop_twin.capture.footage import import_footage
    from tests.conftest import shared_file

    project = create_project("Ann")
    synced = synced_paths(monkeypatch)
    import_footage(project, shared_file("talking/t05_man_in_suit_6s.mp4"))
    copy = synced.index(project.footage_dir / ".t05_man_in_suit_6s.mp4.partial")
    named = synced.index(project.footage_dir)  # the rename from the partial name
    assert copy < named < len(synced) - 1 and synced[-1] == project.path  # the manifest's, last


def test_files_written_atomically_get_the_umasks_mode_or_keep_their_own(tmp_path):
    new, kept = tmp_path / "new.twin", tmp_path / "kept.json"
    atomic_write_bytes(new, b"x")
    assert new.stat().st_mode & 0o777 == NEW_FILE_MODE  # a shared file, not a private temporary one
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    atomic_write_bytes(kept, b"new")
    assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_bytes() == b"new"


HOLD_THE_TWIN = """
import fcntl, os, sys, time
handle = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_twin_another_process_works_on_cannot_be_renamed_deleted_or_imported_into():
    from desktop_twin.capture.footage import import_footage, import_take
    from tests.conftest import shared_file

    project = create_project("Ann")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_TWIN, str(project.path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"  # as a command training the twin would
        for attempt in (lambda: rename_project(project, "Bea"), lambda: delete_project(project),
                        lambda: import_footage(project, shared_file("talking/t05_man_in_suit_6s.mp4"))):
            with pytest.raises(UserError, match="Ann is busy"):
                attempt()
        take = shared_file("talking/t05_man_in_suit_6s.mp4")  # a take just recorded, say
        with pytest.raises(UserError, match=re.escape(f"The take is kept as {take}")):
            import_take(project, take)
        assert [p.name for p in list_projects()] == ["Ann"] and open_project("Ann").manifest.footage == []
    finally:
        holder.kill()
        holder.wait()
    assert rename_project(project, "Bea").name == "Bea"  # the system let go when the process ended


DIE_MID_COPY = """
import os, sys
from desktop_twin.capture import footage
from desktop_twin.store import open_project

def copy_half_then_die(source, target):
    target.write_bytes(source.read_bytes()[:100_000])
    os._exit(9)  # killed while copying

footage._copy_with_hash = copy_half_then_die
footage.import_footage(open_project("Ann"), sys.argv[1])
"""


def test_an_import_killed_mid_way_leaves_nothing_behind_once_the_twin_is_written_again():
    from desktop_twin.capture.footage import import_footage
    from tests.conftest import REPO, shared_file

    project = create_project("Ann")
    killed = subprocess.run([sys.executable, "-c", DIE_MID_COPY, str(shared_file("talking/t06_woman_blue_6s.mp4"))],
                            cwd=REPO)
    assert killed.returncode == 9
    assert [p.name for p in project.footage_dir.iterdir()] == [".t06_woman_blue_6s.mp4.partial"]
    (project.footage_dir / "notes.txt").write_text("the person's own")  # no mark: not the app's to remove
    import_footage(project, shared_file("talking/t05_man_in_suit_6s.mp4"))
    assert sorted(p.name for p in project.footage_dir.iterdir()) == ["notes.txt", "t05_man_in_suit_6s.mp4"]
