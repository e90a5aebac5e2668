"""The shared lock: real `uv pip compile` runs against the loopback index, and installs from the lock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ftlab.deps.lock import FORMAT, Lock, Pin, classify_failure, resolve, uv_command
from ftlab.errors import PackageIndexError, ResolutionError, UsageError
from ftlab.lanes.subjects import parse_subjects


@pytest.fixture(autouse=True)
def _no_uv_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # uv retries a refused connection for ~9 s; the loopback index either answers or is meant to be down.
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")


def test_resolves_a_dependency_chain_once_for_all_lanes(local_index):
    lock = resolve(parse_subjects(["chain-a", "pure-pkg"]), index_url=local_index.url)
    pins = {p.name: p for p in lock.pins}
    assert {n: p.version for n, p in pins.items()} == {"chain-a": "1.0", "chain-b": "2.0", "chain-c": "1.0",
                                                       "pure-pkg": "1.0"}  # 1.1 is yanked
    assert pins["chain-b"].via == ("chain-a",) and pins["chain-c"].via == ("chain-b",)
    assert pins["chain-a"].via == ()
    assert (lock.index_url, lock.python_version, lock.universal) == (local_index.url, "3.14", True)
    assert lock.text.startswith(f"# {FORMAT}\n# index-url: {local_index.url}\n")


def test_markers_survive_the_universal_resolution(local_index):
    lock = resolve(parse_subjects(["with-win-dep"]), index_url=local_index.url)
    (win,) = [p for p in lock.pins if p.name == "win-only"]
    assert win.markers == "sys_platform == 'win32'"
    assert "win-only==1.0 ; sys_platform == 'win32'\n" in lock.requirements_txt()


def test_save_and_load_round_trip(local_index, tmp_path: Path):
    lock = resolve(parse_subjects(["chain-a", "with-win-dep"]), index_url=local_index.url)
    again = Lock.load(lock.save(tmp_path / "ftlab.lock"))
    assert again == lock


def test_loading_something_that_is_not_a_lock(tmp_path: Path):
    (tmp_path / "reqs.txt").write_text("numpy==2.0\n")
    with pytest.raises(UsageError, match=r"starts with 'numpy==2.0', expected '# ftlab-lock/1'"):
        Lock.load(tmp_path / "reqs.txt")
    with pytest.raises(UsageError, match="cannot read lock file"):
        Lock.load(tmp_path / "missing.lock")


def test_pin_lines():
    assert Pin(name="a", version="1", markers="os_name == 'nt'").requirement() == "a==1 ; os_name == 'nt'"
    assert Pin(name="b", version=None, url="file:///src/b").requirement() == "b @ file:///src/b"


def test_no_such_package(local_index):
    with pytest.raises(ResolutionError) as info:
        resolve(parse_subjects(["no-such-thing"]), index_url=local_index.url)
    msg = str(info.value)
    assert msg.startswith(f"no package named 'no-such-thing' on {local_index.url}; check the spelling")
    assert "(Because no-such-thing was not found in the package registry" in msg and "\n" not in msg


def test_no_matching_release(local_index):
    with pytest.raises(ResolutionError, match=r"^no release matches pure-pkg==7.0 on .*relax the pin \(Because there is no"):
        resolve(parse_subjects(["pure-pkg==7.0"]), index_url=local_index.url)


def test_conflict(local_index):
    with pytest.raises(ResolutionError) as info:
        resolve(parse_subjects(["chain-c==1.0", "needs-old-c"]), index_url=local_index.url)
    msg = str(info.value)
    assert msg.startswith("the subjects conflict")
    assert "needs-old-c depend on chain-c<1" in msg and "\n" not in msg


def test_unreachable_index():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/simple"
    with pytest.raises(PackageIndexError, match=rf"cannot reach the package index {url} \(from: --index-url\); "
                       r"check the URL given with --index-url; proxy: .*; certificates: .*Connection refused"):
        resolve(parse_subjects(["numpy"]), index_url=url)


def test_classify_failure_on_uv_tty_style_output():
    stderr = ("  × No solution found when resolving dependencies:\n"
              "  ╰─▶ Because foo was not found in the package registry and you require foo, we can conclude\n"
              "      that your requirements are unsatisfiable.\n")
    err = classify_failure(stderr, "https://pypi.org/simple")
    assert isinstance(err, ResolutionError) and str(err).startswith("no package named 'foo'")


def test_local_project_is_included_by_path(local_index, tmp_path: Path):
    proj = tmp_path / "my-app"
    proj.mkdir()
    (proj / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "b"\nbackend-path = ["."]\n'
        '[project]\nname = "my-app"\nversion = "0.1"\ndependencies = ["chain-c"]\n'
    )
    lock = resolve(parse_subjects([str(proj)]), index_url=local_index.url)
    pins = {p.name: p for p in lock.pins}
    assert pins["my-app"].version is None and pins["my-app"].url == proj.resolve().as_uri()
    assert pins["chain-c"].via == ("my-app",)
    assert f"my-app @ {proj.resolve().as_uri()}\n" in lock.requirements_txt()


def _pyenv_python(minor: str) -> str | None:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob(f"{minor}.*/bin/python{minor}")) if root.is_dir() else []
    return str(found[-1]) if found else None


@pytest.mark.slow
def test_every_lane_installs_exactly_the_pins(local_index, tmp_path: Path):
    """The lock drives `uv pip install --no-deps`; the GIL lanes on this machine get the same versions."""
    lock = resolve(parse_subjects(["chain-a", "ft-native", "sdist-only"]), index_url=local_index.url)
    reqs = tmp_path / "lock.txt"
    reqs.write_text(lock.requirements_txt())
    pythons = [p for p in (_pyenv_python("3.12"), _pyenv_python("3.13"), sys.executable) if p]
    for i, python in enumerate(pythons[:2]):
        venv = tmp_path / f"venv{i}"
        subprocess.run([*uv_command(), "venv", "-q", "--python", python, str(venv)], check=True)
        subprocess.run([*uv_command(), "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                        "--no-deps", "--default-index", local_index.url, "-r", str(reqs)], check=True)
        out = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import importlib.metadata as m; print(sorted((d.name, d.version) for d in m.distributions()))"],
                             capture_output=True, text=True, check=True).stdout
        for pin in lock.pins:
            assert f"('{pin.name}', '{pin.version}')" in out, (python, out)


@pytest.mark.slow
@pytest.mark.parametrize("name,evidence", [
    ("build-fails", "ftlab fixture: setup.py fails on purpose"),
    ("needs-header", "nonexistent_ftlab.h"),
])
def test_broken_sdists_fail_to_build_with_evidence(local_index, tmp_path: Path, name: str, evidence: str):
    """The fixtures the install check relies on: the lock resolves them, the build then fails for real."""
    lock = resolve(parse_subjects([name]), index_url=local_index.url)
    assert [p.name for p in lock.pins] == [name]
    venv = tmp_path / "venv"
    subprocess.run([*uv_command(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    proc = subprocess.run([*uv_command(), "pip", "install", "--python", str(venv / "bin" / "python"), "--no-deps",
                           "--no-cache", "--default-index", local_index.url, f"{name}==1.0"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert evidence in proc.stderr
