"""The hot path is fenced (README.md): only the API's router and the WSGI entry point
import ``amanat.intake``; intake imports nothing above it."""

from __future__ import annotations

import ast
from pathlib import Path

import amanat

ROOT = Path(amanat.__file__).parent
SERVING = {"api.py", "wsgi.py"}  # the router and token check; the handler


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(*, inside: bool) -> list[Path]:
    return [path for path in ROOT.rglob("*.py")
            if "tests" not in path.relative_to(ROOT).parts
            and (path.relative_to(ROOT).parts[0] == "intake") == inside]


def test_only_the_serving_modules_import_intake() -> None:
    users = {str(path.relative_to(ROOT)) for path in _modules(inside=False)
             if any(name == "amanat.intake" or name.startswith("amanat.intake.")
                    for name in _imports(path))}
    assert users == SERVING


def test_intake_imports_nothing_above_it() -> None:
    above = {"amanat.api", "amanat.wsgi", "amanat.urls", "amanat.portal"}
    for path in _modules(inside=True):
        assert not {name for name in _imports(path)
                    if name in above or name.split(".")[:2] == ["amanat", "portal"]}, path
