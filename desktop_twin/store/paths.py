"""The data root: where twin projects live."""

import os
from pathlib import Path

import platformdirs

HOME_VARIABLE = "DESKTOP_TWIN_HOME"


def data_root() -> Path:
    """The folder holding all twin projects; DESKTOP_TWIN_HOME overrides the default."""
    override = os.environ.get(HOME_VARIABLE)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("desktop-twin", appauthor=False))
