"""Shared fixtures: a fresh data root per test, and the real footage in ../shared/data."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # widgets under test need no display

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def fresh_data_root(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty data root: nothing leaks between tests or into the user's."""
    root = tmp_path / "twins"
    monkeypatch.setenv("DESKTOP_TWIN_HOME", str(root))
    return root


def shared_file(relative: str) -> Path:
    """A file of the shared real footage; the test is skipped, with the reason, when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real footage {relative} not found under {SHARED_DATA} (set DESKTOP_TWIN_SHARED_DATA)")
    return path
