"""Imports point down, and every amanat import is at a module's top.

The layer contract itself is import-linter's (pyproject.toml, ``make lint``); it sees
imports inside functions as well, but it cannot tell them apart.  An import inside a
function hides a dependency from the reader and from a module's import-time order, so
this walks the code and refuses it: the one exception is ``AppConfig.ready``, the place
Django offers for wiring an app to its own modules once the models are loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

import amanat

ROOT = Path(amanat.__file__).parent


def _modules() -> list[Path]:
    # Tests are no layer's code; migrations must not depend on today's code at import time.
    return [p for p in sorted(ROOT.rglob("*.py"))
            if not {"tests", "migrations"} & set(p.relative_to(ROOT).parts)]


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return ["." * node.level + (node.module or "")]
    return [alias.name for alias in node.names]


def _inner_amanat_imports(path: Path, root: Path = ROOT.parent) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom) and function is not None:
                ours = [n for n in _names(child) if n.startswith(("amanat", "."))]
                if ours and not (path.name == "apps.py" and function == "ready"):
                    found.append(f"{path.relative_to(root)}:{child.lineno} {ours}")
            else:
                visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def test_no_amanat_import_hides_inside_a_function() -> None:
    found = [hit for path in _modules() for hit in _inner_amanat_imports(path)]
    assert found == []


def test_the_walk_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import amanat.core\n\n\ndef f():\n    from . import services\n"
                     "    import json\n\n\nclass C:\n    def ready(self):\n"
                     "        from amanat.atlas import services\n", encoding="utf-8")
    assert _inner_amanat_imports(probe, tmp_path) == [
        "probe.py:5 ['.']", "probe.py:11 ['amanat.atlas']"]


def test_the_layer_contract_is_kept() -> None:
    # The contract is in pyproject.toml; ``make lint`` runs it too.
    config = str(ROOT.parent / "pyproject.toml")
    assert lint_imports(config_filename=config, no_cache=True, no_logo=True) == (
        EXIT_STATUS_SUCCESS)
