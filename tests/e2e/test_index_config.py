"""ftlab finds the index pip is configured with, tried as a new user would: the real CLI in a clean
environment (PATH, a fresh HOME, ftlab's store) where the only index setting is pip's: a pip.conf named
by PIP_CONFIG_FILE, or PIP_INDEX_URL. A real index on loopback; the lock and the installs run sandboxed."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.proxy_server import ForwardProxy


def clean_run(tmp_path: Path, lane: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    base = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
            "FTLAB_STORE": str(tmp_path / "store" / "ftlab.sqlite"), "FTLAB_REPORT_DIR": str(tmp_path / "reports"),
            "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "ftlab", "run", *args, "--lane", lane, "--checks", "install",
                           "--no-provision", "--json"], capture_output=True, text=True, cwd=tmp_path,
                          env={**base, **env}, timeout=300)


def stored_lock(tmp_path: Path, run_id: str) -> str:
    conn = sqlite3.connect(tmp_path / "store" / "ftlab.sqlite")
    try:
        return conn.execute("SELECT lock FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]
    finally:
        conn.close()


def installed(proc: subprocess.CompletedProcess) -> tuple[dict, dict]:
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    (result,) = [r for r in doc["results"] if r["check"] == "install"]
    assert result["status"] == "ok", result
    return doc, result["data"]["subject_dist"]


@pytest.mark.parametrize("how", ["PIP_CONFIG_FILE", "PIP_INDEX_URL"])
def test_installs_from_the_index_pip_is_configured_with(tmp_path, local_index, py313, how):
    if how == "PIP_CONFIG_FILE":
        conf = tmp_path / "pip.conf"
        conf.write_text(f"[global]\nindex-url = {local_index.url}\n")
        env, source = {"PIP_CONFIG_FILE": str(conf)}, f"{conf} [global] index-url"
    else:
        env, source = {"PIP_INDEX_URL": local_index.url}, "PIP_INDEX_URL"
    doc, dist = installed(clean_run(tmp_path, py313, "pure-pkg", env=env))
    assert (dist["outcome"], dist["version"], dist["index"]) == ("wheel", "1.0", local_index.url)
    lock = stored_lock(tmp_path, doc["run_id"])
    assert f"# index-url: {local_index.url}\n" in lock and f"# index-source: {source}\n" in lock, lock
    assert f"pure-pkg==1.0  # from {local_index.url}" in lock


def test_pip_conf_proxy_reaches_the_sandboxed_uv(tmp_path, local_index, py313):
    conf = tmp_path / "pip.conf"
    with ForwardProxy() as proxy:
        conf.write_text(f"[global]\nindex-url = {local_index.url}\nproxy = {proxy.address}\n")
        doc, dist = installed(clean_run(tmp_path, py313, "pure-pkg", env={"PIP_CONFIG_FILE": str(conf)}))
    assert dist["outcome"] == "wheel"
    # Both the lock (uv pip compile) and the lane's install went through the proxy.
    assert f"{local_index.url}/pure-pkg/" in proxy.relayed, proxy.relayed
    assert any(u.endswith("/files/pure_pkg-1.0-py3-none-any.whl") for u in proxy.relayed), proxy.relayed
    assert f"# proxy: http://{proxy.address} (from {conf} [global] proxy)" in stored_lock(tmp_path, doc["run_id"])


def test_unreachable_index_names_the_pip_setting(tmp_path, py313):
    with socket.socket() as s:  # a loopback port nobody listens on once this closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/simple"
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {url}\n")
    proc = clean_run(tmp_path, py313, "pure-pkg", env={"PIP_CONFIG_FILE": str(conf), "UV_HTTP_RETRIES": "0"})
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("ftlab: error: ")]
    assert line.startswith(f"ftlab: error: cannot reach the package index {url} (from: {conf} [global] index-url); "
                           f"check [global] index-url in {conf}, or pass --index-url; proxy: none; certificates: "), line
    assert "Traceback" not in proc.stderr
