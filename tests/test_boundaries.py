"""The architecture's boundaries: Qt only in the ui layer; the live path never loads torch."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "desktop_twin"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6", "superqt")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_outside_ui_imports_qt():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "ui" not in path.relative_to(PACKAGE).parts
        and any(name.split(".")[0] in QT_MODULES for name in imported_modules(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("layer", ["runtime", "face"])
def test_live_path_layers_never_import_torch(layer):
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / layer).rglob("*.py")
        if any(name.split(".")[0] == "torch" for name in imported_modules(path))
    ]
    assert offenders == []


def _modules_loaded_by(import_lines: str) -> set[str]:
    code = f"{import_lines}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in json.loads(result.stdout)}


@pytest.mark.parametrize("layer", ["store", "capture", "face", "runtime"])
def test_importing_a_core_layer_loads_neither_torch_nor_qt(layer):
    modules = [f"desktop_twin.{layer}"] + [
        f"desktop_twin.{layer}.{path.stem}"
        for path in sorted((PACKAGE / layer).glob("*.py")) if path.stem != "__init__"
    ]
    loaded = _modules_loaded_by("\n".join(f"import {m}" for m in modules))
    assert "torch" not in loaded
    assert not loaded & set(QT_MODULES)


LAYERS = ["store", "capture", "face", "training", "export", "runtime", "ui"]
SHARED = {"errors", "resources", "__init__"}  # modules any layer may use


def test_each_layer_imports_only_the_layers_above_it():
    offenders = []
    for rank, layer in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1]) | SHARED
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in imported_modules(path):
                parts = name.split(".")
                if parts[0] == "desktop_twin" and len(parts) > 1 and parts[1] not in allowed:
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []
