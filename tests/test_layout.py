"""The architecture as the code map in docs/DESIGN.md draws it: layers import only the layers
below them, every imported name exists (also the ones imported inside functions), and no module
grows past ~400 lines."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a module may import its own layer and the layers before it, never a later one.
LAYERS = ["gdm_features", "gdm_temporal.timeline", "gdm_temporal.labels", "gdm_temporal.head",
          "gdm_temporal.highlights", "gdm_temporal.app"]
MAX_LINES = 400


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("gdm_features", "gdm_temporal"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def layer_of(module: str) -> int:
    matches = [i for i, layer in enumerate(LAYERS) if module == layer or module.startswith(layer + ".")]
    return max(matches) if matches else -1  # gdm_temporal/__init__ (lazy re-exports) sits outside


def imports_of(module: str, path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, names) for every `import`/`from ... import` anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
                else node.module
            out.append((base, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
    return out


@pytest.mark.parametrize("module,path", modules(), ids=[m for m, _ in modules()])
def test_module_imports_only_lower_layers_and_names_that_exist(module, path):
    own = layer_of(module)
    for target, names in imports_of(module, path):
        if not target.startswith(("gdm_features", "gdm_temporal")):
            continue
        if own >= 0:
            assert layer_of(target) <= own, f"{module} imports {target}, a higher layer"
        imported = importlib.import_module(target)
        for name in names:
            assert hasattr(imported, name) or importlib.util.find_spec(f"{target}.{name}"), \
                f"{module}: {target} has no {name}"


@pytest.mark.parametrize("module,path", modules(), ids=[m for m, _ in modules()])
def test_module_is_small(module, path):
    assert len(path.read_text().splitlines()) <= MAX_LINES, f"{path} is over {MAX_LINES} lines"


def test_the_stages_never_import_the_app():
    for module, path in modules():
        if not module.startswith("gdm_temporal.app"):
            assert not any(t.startswith("gdm_temporal.app") for t, _ in imports_of(module, path)), module


def test_stage_two_entry_points_are_re_exported():
    import gdm_temporal

    for name in gdm_temporal.__all__:
        assert callable(getattr(gdm_temporal, name)), name
