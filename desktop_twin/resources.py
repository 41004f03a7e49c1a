"""Where the bundled resources (models, prompts) live."""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"


def model_path(name: str) -> Path:
    """Path of a bundled model file in resources/models."""
    return RESOURCES_DIR / "models" / name
