"""Twin projects on disk: folders under a data root, each with a versioned manifest."""

from desktop_twin.store.manifest import FootageEntry, PreparedSummary, ProjectManifest
from desktop_twin.store.paths import data_root
from desktop_twin.store.project import (
    TwinProject,
    create_project,
    delete_project,
    list_projects,
    names_a_twin_file,
    open_project,
    rename_project,
    validate_name,
)

__all__ = [
    "FootageEntry",
    "PreparedSummary",
    "ProjectManifest",
    "TwinProject",
    "create_project",
    "data_root",
    "delete_project",
    "list_projects",
    "names_a_twin_file",
    "open_project",
    "rename_project",
    "validate_name",
]
