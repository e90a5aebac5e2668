"""The layering the README draws ("How it works"): import-linter's contracts hold on the tree and fail on a violation, and
the host imports no package it does not declare (so it never imports a tested one)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = shutil.which("lint-imports")

#: Import names that differ from their distribution's name, for the host's declared dependencies.
IMPORT_NAMES = {"dask[distributed]": ("dask", "distributed")}
#: The pytest plugin is loaded by pytest itself, so pytest is there whenever it runs.
PLUGIN_ONLY = {"pytest", "_pytest"}

needs_linter = pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed (pip install -e '.[test]')")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "PYTHONPATH": f"{tree / 'lab'}:{tree / 'probes'}"}
    return subprocess.run([LINT_IMPORTS, "--no-cache", "--config", str(tree / "pyproject.toml")], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=120)


def _copy_tree(dest: Path) -> Path:
    for folder in ("lab", "probes"):
        shutil.copytree(REPO / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy(REPO / "pyproject.toml", dest / "pyproject.toml")
    return dest


@needs_linter
def test_the_contracts_hold_on_the_tree(tmp_path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_linter
@pytest.mark.parametrize(("module", "line", "contract"), [
    ("lab/ftlab/report/violation.py", "from ftlab.engine import plan\n", "report only renders"),
    ("lab/ftlab/judgement/violation.py", "from ftlab.report import terminal\n", "judgement never imports"),
    ("probes/ftlab_probes/violation.py", "import ftlab.records\n", "the in-lane side never imports"),
])
def test_a_deliberate_violation_fails_its_contract(tmp_path, module, line, contract):
    tree = _copy_tree(tmp_path)
    (tree / module).write_text(line)
    result = _lint(tree)
    assert result.returncode != 0
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout


def _top_level_imports(root: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def test_the_host_imports_only_what_it_declares():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {"ftlab", "ftlab_probes", *PLUGIN_ONLY}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dask"]]:
        req = Requirement(spec)
        key = f"{req.name}[{','.join(sorted(req.extras))}]" if req.extras else req.name
        declared.update(IMPORT_NAMES.get(key, (canonicalize_name(req.name).replace("-", "_"),)))
    undeclared = {name: sorted(files) for name, files in _top_level_imports(REPO / "lab").items()
                  if name not in sys.stdlib_module_names and name not in declared}
    assert undeclared == {}
