"""Running untrusted code: every child of a lane interpreter starts here.

Each child gets an allowlisted environment (never a copy of os.environ), a private HOME and TMPDIR,
its own process group (killed whole on timeout), resource limits it applies to itself before any
tested code runs (probes/runtime/__main__.py), no network where the OS allows a private network
namespace, and stdout/stderr captured to capped files that are never parsed as results.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from lab.errors import ProtocolError

ROOT = Path(__file__).resolve().parent.parent
PROBES_DIR = ROOT / "probes"

#: After the job's own timeout the child has already dumped its stacks (faulthandler); this is the
#: grace before the host kills the whole process group.
KILL_GRACE_S = 5.0

#: Logs past this are cut to their head and tail: a tested package may print without end.
LOG_CAP_BYTES = 2 * 1024 * 1024

#: Variables a child may inherit: locale, terminal width, and the index/proxy settings an install needs.
_PASS_ALWAYS = ("LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SYSTEMROOT")
_PASS_NETWORK = (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_CACHE_DIR",
    "UV_PYTHON_INSTALL_DIR", "UV_PYTHON_INSTALL_MIRROR", "UV_NATIVE_TLS", "UV_OFFLINE", "UV_HTTP_RETRIES",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME", "PYENV_ROOT",
)


def base_env(*, network: bool = False, home: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An allowlisted environment. `network=True` also passes index and proxy settings (installs)."""
    env = {k: os.environ[k] for k in _PASS_ALWAYS if k in os.environ}
    env["PATH"] = os.environ.get("PATH", os.defpath)
    env.setdefault("LC_ALL", "C.UTF-8")
    if network:
        env.update({k: os.environ[k] for k in _PASS_NETWORK if k in os.environ})
    if home:
        env["HOME"] = home
    if extra:
        env.update(extra)
    return env


@functools.cache
def runtime_path() -> str:
    """A directory holding only `probes`, for the child's PYTHONPATH.

    Putting the repository (or the host's site-packages) on a lane's path would shadow tested
    packages (`tests`, `lab`...) and leak host packages into the lane.
    """
    d = Path(tempfile.mkdtemp(prefix="ftlab-runtime-"))
    (d / "probes").symlink_to(PROBES_DIR, target_is_directory=True)
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return str(d)


@functools.cache
def network_isolation() -> tuple[str, ...]:
    """The command prefix that gives a child its own empty network namespace, or () where impossible."""
    unshare = shutil.which("unshare")
    if not unshare:
        return ()
    for prefix in ((unshare, "--net"), (unshare, "--map-root-user", "--net")):
        try:
            ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return prefix
    return ()


@dataclass(frozen=True, kw_only=True)
class ChildOutcome:
    """How a child ended. `result` is the parsed result file, or None when there was none."""

    returncode: int | None
    timed_out: bool
    duration_s: float
    stdout_path: str
    stderr_path: str
    result: dict | None
    isolation: str

    @property
    def crashed(self) -> bool:
        return self.returncode is not None and self.returncode < 0 and not self.timed_out

    def stderr_tail(self, max_chars: int = 4000) -> str:
        return read_tail(self.stderr_path, max_chars)


def read_tail(path: str, max_chars: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_chars * 4))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return text[-max_chars:]


def signal_name(returncode: int | None) -> str:
    if returncode is None or returncode >= 0:
        return ""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def run_child(
    argv: list[str],
    *,
    workdir: Path,
    timeout_s: float,
    result_path: Path | None = None,
    env_extra: dict[str, str] | None = None,
    network: bool = False,
    cwd: Path | None = None,
) -> ChildOutcome:
    """Run one sandboxed child to completion, kill it (and its group) on timeout, read its result."""
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"
    tmp = workdir / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    extra = {"TMPDIR": str(tmp), "PYTHONPATH": runtime_path(), "PYTHONFAULTHANDLER": "1"}
    extra.update(env_extra or {})
    env = base_env(network=network, home=str(home), extra=extra)
    prefix = () if network else network_isolation()
    stdout_path = workdir / "stdout.txt"
    stderr_path = workdir / "stderr.txt"
    started = time.monotonic()
    timed_out = False
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [*prefix, *argv], stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
            cwd=str(cwd or workdir), start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout_s + KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(proc.pid)
            proc.wait()
    duration = time.monotonic() - started
    for p in (stdout_path, stderr_path):
        cap_file(p)
    returncode = proc.returncode
    # `unshare` execs the command (no fork), so a signal death shows as the usual negative status.
    result = read_result(result_path) if result_path else None
    return ChildOutcome(
        returncode=returncode,
        timed_out=timed_out,
        duration_s=duration,
        stdout_path=str(stdout_path),
        stderr_path=str(stderr_path),
        result=result,
        isolation="netns" if prefix else "none",
    )


def kill_tree(pid: int) -> None:
    """Kill a child's process group and any descendants that left it."""
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for p in descendants:
        try:
            p.kill()
        except psutil.Error:
            pass


def cap_file(path: Path, cap: int = LOG_CAP_BYTES) -> None:
    """Keep the head and tail of an oversized log, with a marker where the middle was cut."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size <= cap:
        return
    half = cap // 2
    with open(path, "rb") as f:
        head = f.read(half)
        f.seek(size - half)
        tail = f.read()
    with open(path, "wb") as f:
        f.write(head + f"\n[... {size - 2 * half} bytes cut by ftlab ...]\n".encode() + tail)


def read_result(path: Path) -> dict | None:
    """The child's result document, None when absent (crash, kill). A malformed one is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"result file {path} is not JSON ({exc}); the child wrote a broken result") from None
    return doc
