"""`ftlab ci github` and `ftlab ci cibuildwheel` through the real CLI: the workflow passes GitHub's
workflow schema (check-jsonschema's built-in copy) and has the playbook's axes; cibuildwheel itself
lists what it will build, and readiness takes those identifiers as targets."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML  # check-jsonschema's own YAML reader

from ftlab.deps.readiness import parse_targets
from tests.support.lanes import REPO_ROOT

COUNTER = REPO_ROOT / "extensions" / "calibration" / "counter"
PINS = ["--pin", "pip==25.3", "--pin", "setuptools==80.9.0", "--pin", "wheel==0.45.1", "--pin", "build==1.3.0",
        "--pin", "packaging==25.0"]


def load_yaml(text: str):
    return YAML(typ="safe").load(text)


def ftlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftlab", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "counter"
    shutil.copytree(COUNTER, dest, ignore=shutil.ignore_patterns("build", "*.egg-info", "*.so"))
    return dest


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_github_workflow_passes_the_schema_and_has_the_playbook_matrix(project: Path):
    proc = ftlab("ci", "github", str(project), *PINS, "--budget", "30", cwd=project)
    assert proc.returncode == 0, proc.stderr
    workflow = project / ".github" / "workflows" / "ftlab.yml"
    constraints = project / ".github" / "ftlab-constraints.txt"
    assert proc.stdout.split() == [str(constraints), str(workflow)]
    checked = check_jsonschema(workflow)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doc = load_yaml(workflow.read_text())
    matrix = doc["jobs"]["ftlab"]["strategy"]["matrix"]
    assert matrix["python"] == ["3.12", "3.13", "3.14", "3.14t"]
    assert matrix["arch"] == ["x64", "arm64"] and matrix["install"] == ["normal", "wheels-only"]
    assert {i["arch"]: i["runner"] for i in matrix["include"]} == {"x64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"}
    runs = "\n".join(step.get("run", "") for step in doc["jobs"]["ftlab"]["steps"])
    assert "--only-binary=:all:" in runs and "matrix.install == 'wheels-only'" in runs
    assert "ftlab check --installed ftcalib-counter --project . --budget 30 --report-dir ftlab-reports" in runs
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs
    uses = [step.get("uses", "") for step in doc["jobs"]["ftlab"]["steps"]]
    assert any(u.startswith("mikepenz/action-junit-report") for u in uses)
    assert doc["jobs"]["ftlab"]["env"]["PIP_CONSTRAINT"] == ".github/ftlab-constraints.txt"
    assert constraints.read_text().splitlines()[2:] == ["pip==25.3", "setuptools==80.9.0", "wheel==0.45.1",
                                                        "build==1.3.0", "packaging==25.0"]
    # Nothing is overwritten unasked; a settable matrix.
    again = ftlab("ci", "github", str(project), *PINS, cwd=project)
    assert again.returncode == 2 and "pass --force" in again.stderr
    other = ftlab("ci", "github", str(project), *PINS, "--force", "--python", "3.11,3.14t", "--arch", "arm64",
                  cwd=project)
    assert other.returncode == 0, other.stderr
    matrix = load_yaml(workflow.read_text())["jobs"]["ftlab"]["strategy"]["matrix"]
    assert matrix["python"] == ["3.11", "3.14t"] and matrix["arch"] == ["arm64"]
    assert check_jsonschema(workflow).returncode == 0


def test_a_broken_workflow_fails_the_schema(project: Path, tmp_path: Path):
    """The schema check can fail: a job without runs-on is not a workflow."""
    assert ftlab("ci", "github", str(project), *PINS, cwd=project).returncode == 0
    text = (project / ".github" / "workflows" / "ftlab.yml").read_text()
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("    runs-on: ${{ matrix.runner }}\n", ""))
    assert check_jsonschema(broken).returncode != 0


@pytest.mark.parametrize("args,message", [
    (["--python", "3.14x"], "is not like 3.13 or 3.14t"),
    (["--arch", "ppc"], "is not one of x64, arm64"),
    (["--pin", "numpy==2"], "one of pip, setuptools, wheel, build, packaging"),
])
def test_github_bad_input(project: Path, args, message):
    proc = ftlab("ci", "github", str(project), *args, cwd=project)
    assert proc.returncode == 2 and message in proc.stderr
    assert not (project / ".github").exists()


def test_cibuildwheel_section_and_identifiers_from_cibuildwheel(project: Path):
    proc = ftlab("ci", "cibuildwheel", str(project), "--json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    import tomllib

    section = tomllib.loads(doc["section"])["tool"]["cibuildwheel"]
    assert section["build"] == ["cp314-*", "cp314t-*"]
    assert section["test-command"] == "ftlab check --installed ftcalib-counter --project {project}"
    ids = doc["identifiers"]
    assert {"cp314-manylinux_x86_64", "cp314t-manylinux_x86_64", "cp314t-macosx_arm64", "cp314t-win_amd64"} <= set(ids)
    assert all(i.split("-")[0] in ("cp314", "cp314t") for i in ids)
    # Every identifier is a readiness target.
    assert len(parse_targets([",".join(ids)])) == len(ids)
