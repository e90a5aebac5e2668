"""Readiness end to end: uv resolves, the index is read over HTTP, the matrix comes out (no internet unless marked)."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from ftlab.cli.maintainers import readiness_command
from ftlab.deps.index import IndexClient
from ftlab.deps.lock import resolve
from ftlab.deps.readiness import DEFAULT_TARGETS, check_readiness, parse_targets
from ftlab.errors import ResolutionError, UsageError
from ftlab.lanes.subjects import parse_subjects
from tests.support import dists

LINUX_T, LINUX = "cp314t-manylinux_x86_64", "cp314-manylinux_x86_64"


@pytest.fixture(autouse=True)
def _no_uv_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")


@pytest.fixture(scope="module")
def matrix(local_index):
    subjects = parse_subjects(["ft-native", "abi3-only", "abi3-sdist", "pure-pkg", "sdist-only", "with-win-dep",
                               "chain-a"])
    lock = resolve(subjects, index_url=local_index.url)
    return check_readiness(lock, parse_targets(None), IndexClient(local_index.url))


@pytest.mark.parametrize("name,target,status", [
    ("ft-native", LINUX_T, "wheel"),
    ("ft-native", "cp314t-macos_arm64", "wheel"),
    ("abi3-only", LINUX, "wheel"),          # abi3 counts for cp314 ...
    ("abi3-only", LINUX_T, "nothing"),      # ... never for cp314t
    ("abi3-only", "cp314-win_amd64", "wheel"),
    ("abi3-sdist", LINUX_T, "sdist-only"),
    ("pure-pkg", LINUX_T, "pure"),
    ("sdist-only", "cp314-win_amd64", "sdist-only"),
    ("win-only", "cp314t-win_amd64", "wheel"),
    ("win-only", LINUX_T, "not-needed"),    # pulled in only on Windows, by a marker
    ("chain-c", "cp314t-musllinux_x86_64", "pure"),
])
def test_matrix_cells(matrix, name, target, status):
    assert matrix.cell(name, target).status == status


def test_cells_name_the_file_an_installer_would_take(matrix):
    cell = matrix.cell("ft-native", LINUX_T)
    assert cell.file == "ft_native-1.0-cp314-cp314t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert cell.tag == "cp314-cp314t-manylinux_2_17_x86_64"
    assert matrix.cell("abi3-only", LINUX).tag == "cp311-abi3-manylinux_2_17_x86_64"


def test_versions_and_classifiers_come_from_the_lock_and_the_index(matrix):
    rows = {r.name: r for r in matrix.packages}
    assert rows["pure-pkg"].version == "1.0"
    assert rows["ft-native"].classifiers == (dists.FT_STABLE,)
    assert rows["sdist-only"].classifiers is None
    assert rows["chain-b"].via == ("chain-a",)


def test_summary(matrix):
    doc = matrix.to_json()
    # 10 pins; win-only is not needed on linux; ready on cp314t linux: ft-native, pure-pkg, with-win-dep, chain-a/b/c.
    assert doc["summary"]["targets"][LINUX_T] == {"ready": 6, "needed": 9, "wheel": 1, "pure": 5, "sdist-only": 2,
                                                   "nothing": 1, "not-needed": 1, "local": 0}
    assert doc["summary"]["targets"][LINUX]["ready"] == 8


def test_command_prints_json_only_on_stdout(local_index, capsys):
    out = io.StringIO()
    rc = readiness_command(["pure-pkg", "ft-native"], index_url=local_index.url, as_json=True, out=out)
    doc = json.loads(out.getvalue())
    assert rc == 1  # ft-native has no wheel for the default cp315 targets yet
    assert doc["format"] == "ftlab-readiness/1" and doc["targets"] == list(DEFAULT_TARGETS)
    assert [p["name"] for p in doc["packages"]] == ["ft-native", "pure-pkg"]
    assert capsys.readouterr().out == ""  # progress went to stderr


def test_command_from_a_requirements_file_with_its_index_url(local_index, tmp_path: Path):
    (tmp_path / "reqs.txt").write_text(f"--index-url {local_index.url}\nabi3-only==1.0 --hash=sha256:00\n")
    out = io.StringIO()
    rc = readiness_command([], [str(tmp_path / "reqs.txt")], targets=["cp314-win_amd64,cp314t-win_amd64"],
                           quiet=True, out=out)
    assert rc == 1  # cp314t has nothing to install
    text = out.getvalue()
    assert re.search(r"cp314: 1/1 ready\s+cp314t: 0/1 ready", text), text


def test_command_bad_input(local_index):
    with pytest.raises(UsageError, match="invalid requirement"):
        readiness_command(["numpy=="], index_url=local_index.url, quiet=True, out=io.StringIO())
    with pytest.raises(UsageError, match="did you mean 'win_amd64'"):
        readiness_command(["numpy"], targets=["cp314t-win_amd46"], index_url=local_index.url, quiet=True)
    with pytest.raises(ResolutionError, match="no package named 'nope-nope'"):
        readiness_command(["nope-nope"], index_url=local_index.url, quiet=True, out=io.StringIO())


# --- PyPI ---------------------------------------------------------------------------------------------

_PLATFORM_RE = {
    "manylinux_x86_64": r"(manylinux_2_\d+_x86_64|manylinux(1|2010|2014)_x86_64)",
    "manylinux_aarch64": r"(manylinux_2_\d+_aarch64|manylinux2014_aarch64)",
    "musllinux_x86_64": r"musllinux_1_\d_x86_64",
    "macos_arm64": r"macosx_\d+_\d+_(arm64|universal2)",
    "win_amd64": r"win_amd64",
}


def _expected(filenames: list[str], target: str) -> str:
    """An oracle independent of packaging.tags: regexes over the filenames PyPI's JSON API lists."""
    python, platform = target.split("-", 1)
    abis = r"cp314-cp314t" if python == "cp314t" else r"(cp314-cp314|cp3\d+-abi3)"
    plat = _PLATFORM_RE[platform]
    if any(re.search(rf"-{abis}-(\w+\.)*{plat}(\.\w+)*\.whl$", f) for f in filenames):
        return "wheel"
    if any(f.endswith("-none-any.whl") for f in filenames):
        return "pure"
    return "sdist-only" if any(f.endswith((".tar.gz", ".zip")) for f in filenames) else "nothing"


@pytest.mark.network
def test_pypi_numpy_pyyaml_cryptography_matrix_matches_the_files():
    started = time.monotonic()
    out = io.StringIO()
    readiness_command(["numpy", "pyyaml", "cryptography"], index_url="https://pypi.org/simple", as_json=True,
                      quiet=True, out=out)
    elapsed = time.monotonic() - started
    doc = json.loads(out.getvalue())
    names = {p["name"] for p in doc["packages"]}
    assert {"numpy", "pyyaml", "cryptography", "cffi"} <= names
    for pkg in doc["packages"]:
        with urlopen(f"https://pypi.org/simple/{pkg['name']}/", timeout=30) as resp:  # the HTML page, not JSON
            page = resp.read().decode()
        filenames = [f for f in re.findall(r">([^<>]+\.(?:whl|tar\.gz|zip))</a>", page)
                     if re.match(rf"{re.escape(pkg['name']).replace('-', '[-_.]')}-{re.escape(pkg['version'])}[-.]",
                                 f, re.IGNORECASE)]
        assert filenames, pkg["name"]
        for target, cell in pkg["cells"].items():
            if cell["status"] == "not-needed":
                continue
            assert cell["status"] == _expected(filenames, target), (pkg["name"], pkg["version"], target, cell)
            if cell["file"]:
                assert cell["file"] in filenames
    # abi3 does not count for cp314t: cryptography's cp314t cells must be a cp314t wheel, never abi3.
    crypto = next(p for p in doc["packages"] if p["name"] == "cryptography")
    assert all("abi3" not in (c["tag"] or "") for t, c in crypto["cells"].items() if t.startswith("cp314t-"))
    assert elapsed < 60, f"readiness of 3 packages took {elapsed:.1f} s"
