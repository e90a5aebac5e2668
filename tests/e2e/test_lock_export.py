"""`ftlab lock export`: the run's lock, with the hashes of its files, is what CI and image builds install
from; a hash-checking install of it gets exactly the run's pins (a loopback index, a real uv venv)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftlab.deps.index import DistFile, Release
from ftlab.deps.lock import Lock, hashed_requirements
from ftlab.errors import PackageIndexError
from ftlab.store.db import Store
from tests.support.lanes import gil_lanes, venv_python

HEADER = "# ftlab-lock/1\n# index-url: https://i.example/simple\n# python-version: 3.14\n# universal: true\n"


def test_hashed_requirements_pins_every_file_and_leaves_out_local_projects():
    lock = Lock.parse(HEADER + "a==1.0  # via b\nb==2.0 ; sys_platform == 'win32'\nmine @ file:///src/mine\n")
    releases = [Release(name="a", version="1.0", classifiers=None, files=(
                    DistFile(filename="a-1.0-py3-none-any.whl", url="u", hashes={"sha256": "bb"}),
                    DistFile(filename="a-1.0.tar.gz", url="u", hashes={"sha256": "aa"}))),
                Release(name="B", version="2.0", classifiers=None, files=(
                    DistFile(filename="b-2.0-cp314-cp314t-win_amd64.whl", url="u", hashes={"sha256": "cc"}),))]
    text, unhashed = hashed_requirements(lock, releases, run_id="R1")
    assert unhashed == ["mine"]
    assert text.splitlines()[4:] == [
        "a==1.0 \\", "    --hash=sha256:aa \\", "    --hash=sha256:bb", "    # via b",
        "b==2.0 ; sys_platform == 'win32' \\", "    --hash=sha256:cc",
        "# mine @ file:///src/mine  (local project: not hashable)",
    ]
    with pytest.raises(PackageIndexError, match=r"lists no sha256 for a 1\.0"):
        hashed_requirements(lock, [Release(name="a", version="1.0", classifiers=None, files=())])


@pytest.mark.slow
def test_export_after_a_run_installs_exactly_its_pins_with_hashes(tmp_path: Path, local_index, catalogue_dir):
    lanes = gil_lanes()
    if not lanes:
        pytest.skip("no GIL CPython 3.10+ found (pyenv or PATH)")
    env = {**os.environ, "UV_HTTP_RETRIES": "0"}
    store = tmp_path / "s.sqlite"
    run = subprocess.run([sys.executable, "-m", "ftlab", "run", "chain-a", "pure-pkg", "--checks", "install",
                          "--index-url", local_index.url, "--lane", lanes[-1].path, "--store", str(store),
                          "--no-provision", "--report-dir", str(tmp_path / "r")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "requirements.lock"
    proc = subprocess.run([sys.executable, "-m", "ftlab", "lock", "export", "-o", str(out), "--store", str(store)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    with Store(store, create=False) as s:
        lock = Lock.parse(s.load_run("latest").lock)
    text = out.read_text()
    pins = [ln.split(" ")[0] for ln in text.splitlines() if ln and not ln.startswith((" ", "#"))]
    assert pins == [f"{p.name}=={p.version}" for p in lock.pins]
    for p in lock.pins:  # every file of each pinned release, by its real digest
        for f in catalogue_dir.glob(f"{p.name.replace('-', '_')}-{p.version}[-.]*"):
            assert f"--hash=sha256:{hashlib.sha256(f.read_bytes()).hexdigest()}" in text, f.name
    # A hash-checking install from it gets the same pins.
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", lanes[-1].path, str(venv)], check=True, timeout=120, env=env)
    install = subprocess.run(["uv", "pip", "install", "--python", str(venv_python(venv)), "--require-hashes",
                              "--no-deps", "--index-url", local_index.url, "-r", str(out)],
                             capture_output=True, text=True, timeout=300, env=env)
    assert install.returncode == 0, install.stderr
    listed = subprocess.run(["uv", "pip", "freeze", "--python", str(venv_python(venv))], capture_output=True,
                            text=True, timeout=60, env=env).stdout.split()
    assert sorted(listed) == sorted(f"{p.name}=={p.version}" for p in lock.pins)
    # A tampered hash is refused: the file really pins the artifacts.
    digest = next(ln for ln in text.splitlines() if "--hash=sha256:" in ln).split("sha256:")[1].rstrip(" \\")
    out.write_text(text.replace(digest, "0" * 64))
    bad = subprocess.run(["uv", "pip", "install", "--python", str(venv_python(venv)), "--require-hashes", "--no-deps",
                          "--reinstall", "--no-cache", "--index-url", local_index.url, "-r", str(out)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert bad.returncode != 0


def test_export_bad_input(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "ftlab", "lock", "export", "--store", str(tmp_path / "none.sqlite")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("ftlab: error: ")
