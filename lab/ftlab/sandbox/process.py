"""Running untrusted code: every child of a lane interpreter, and every install, starts here.

Each child gets an allowlisted environment (never a copy of os.environ), a private HOME, TMPDIR and
working folder, its own session and process group, and stdout/stderr captured to capped files that
are never parsed as results. Its first process is ``lab/ftlab/sandbox/bootstrap.py`` (under ``unshare`` where the
kernel allows it), which adds the layers the README's "Untrusted code, contained" lists: no network,
a PID namespace, a read-only machine, no capabilities, resource limits, a subreaper that kills what
the command leaves behind, and death with the host.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from ftlab.errors import ProtocolError, SandboxError

#: The in-lane package (``ftlab_probes``, the repository's ``probes/`` folder), wherever it is installed.
PROBES_DIR = Path(importlib.util.find_spec("ftlab_probes").origin).parent
#: The sandbox's first process (run with the host's Python, standard library only).
SANDBOX_INIT = Path(__file__).resolve().parent / "bootstrap.py"

#: After the job's own timeout the child has already dumped its stacks (faulthandler); this is the
#: grace before the host kills the whole process group.
KILL_GRACE_S = 5.0

#: Logs past this are cut to their head and tail: a tested package may print without end.
LOG_CAP_BYTES = 2 * 1024 * 1024

#: Variables a child may inherit: locale, terminal width.
_PASS_ALWAYS = ("LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SYSTEMROOT")
#: What uv needs besides its index settings: its cache, interpreter downloads, retries. The index, proxy
#: and certificate settings are never inherited as they are: ``ftlab.deps.pipconfig`` works them out (uv's own,
#: else pip's) and they are set explicitly, so a stray UV_INDEX_URL cannot contradict the lock's index.
_PASS_NETWORK = (
    "UV_CACHE_DIR", "UV_PYTHON_INSTALL_DIR", "UV_PYTHON_INSTALL_MIRROR", "UV_OFFLINE", "UV_HTTP_RETRIES",
    "XDG_CACHE_HOME", "XDG_DATA_HOME", "HOME", "PYENV_ROOT",
)


def base_env(*, network: bool = False, home: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An allowlisted environment. ``network=True`` (installs) adds how to reach the network: proxies,
    certificates, timeouts, as ``ftlab.deps.pipconfig`` reads them from uv's and pip's configuration (the
    index itself comes with each uv command, see ``lock.run_uv_sandboxed``)."""
    env = {k: os.environ[k] for k in _PASS_ALWAYS if k in os.environ}
    env["PATH"] = os.environ.get("PATH", os.defpath)
    env.setdefault("LC_ALL", "C.UTF-8")
    if network:
        from ftlab.deps.pipconfig import index_settings

        env.update({k: os.environ[k] for k in _PASS_NETWORK if k in os.environ})
        env.update(index_settings().transport)
    if home:
        env["HOME"] = home
    if extra:
        env.update(extra)
    return env


def folder_name(text: str) -> str:
    """``text`` (a distribution or subject name) as one safe folder name for a child's working folder."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)


def user_cache_dir() -> Path:
    """ftlab's folder in the user's cache (``$XDG_CACHE_HOME/ftlab``, else ``~/.cache/ftlab``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ftlab"


@functools.cache
def runtime_path() -> str:
    """A directory holding only `ftlab_probes`, for the child's PYTHONPATH.

    Putting the repository (or the host's site-packages) on a lane's path would shadow tested
    packages (`tests`, `lab`...) and leak host packages into the lane. The directory outlives the run
    (in the user's cache, one per ftlab installation): repro scripts put it on their sys.path, and a
    maintainer runs them after ftlab has exited.
    """
    cache = user_cache_dir() / "runtime"
    d = cache / hashlib.sha256(str(PROBES_DIR).encode()).hexdigest()[:16]
    link = d / "ftlab_probes"
    try:
        d.mkdir(parents=True, exist_ok=True)
        if not link.is_dir():
            tmp = d / f".ftlab_probes-{os.getpid()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(PROBES_DIR, target_is_directory=True)
            os.replace(tmp, link)  # atomic: two ftlab processes may get here at once
    except OSError:
        # No writable cache (a read-only home): a folder for this process only.
        d = Path(tempfile.mkdtemp(prefix="ftlab-runtime-"))
        (d / "ftlab_probes").symlink_to(PROBES_DIR, target_is_directory=True)
        atexit.register(shutil.rmtree, d, ignore_errors=True)
    return str(d)


#: The layers `unshare` can add, strongest first; what the kernel refuses is left out (probed once).
#: A user namespace makes "root" inside harmless outside (and lets an unprivileged user have the rest);
#: a PID namespace dies whole with its first process; a mount namespace allows the read-only root.
#: FTLAB_NO_NAMESPACES=1 turns them off where a kernel misbehaves; the subreaper, limits, private
#: folders and allowlisted environment remain.
_PIDNS = ("--pid", "--fork", "--kill-child", "--mount", "--mount-proc")
_USERNS = ("--user", "--map-root-user")


@functools.cache
def isolation_prefix(network: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(command prefix, layers) for a sandbox with (installs) or without network, where possible."""
    unshare = shutil.which("unshare")
    if not unshare or not sys.platform.startswith("linux") or os.environ.get("FTLAB_NO_NAMESPACES"):
        return (), ()
    net = () if network else ("--net",)
    netns = ("netns",) if net else ()
    candidates = [
        (_USERNS + net + _PIDNS, ("userns", *netns, "pidns", "mountns")),
        (net + _PIDNS, (*netns, "pidns", "mountns")),
    ]
    if net:
        candidates += [(_USERNS + net, ("userns", "netns")), (net, ("netns",))]
    for flags, layers in candidates:
        try:
            ok = subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return (unshare, *flags), layers
    return (), ()


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Resource limits of one sandbox (None: the limit is left as the host has it)."""

    #: Enough for numpy/scipy imports and stress runs, small enough that a runaway allocation fails
    #: inside the child (MemoryError) instead of swapping the machine.
    address_space_mb: int | None = 8192
    #: No file the child writes (its captured stdout included) grows past this: a write beyond fails
    #: with EFBIG instead of filling the disk.
    file_size_mb: int | None = 512
    #: Well above what a test needs, low enough to catch a descriptor leak.
    open_files: int | None = 4096
    #: CPU seconds per process; None: derived from the timeout (every core busy for all of it).
    cpu_s: int | None = None

    def to_json(self, timeout_s: float) -> dict[str, int | None]:
        cpu = self.cpu_s or int(timeout_s * (os.cpu_count() or 1) + CPU_SLACK_S)
        return {"address_space_mb": self.address_space_mb, "file_size_mb": self.file_size_mb,
                "open_files": self.open_files, "cpu_s": cpu}


#: Builds run compilers (large address spaces, many files) and write wheels of hundreds of MB.
BUILD_LIMITS = Limits(address_space_mb=None, file_size_mb=8192, open_files=None)

#: CPU seconds on top of timeout x cores before RLIMIT_CPU ends a process (interpreter start, slack).
CPU_SLACK_S = 60


@dataclass(frozen=True, kw_only=True)
class ChildOutcome:
    """How a child ended. `result` is the parsed result file, or None when there was none."""

    returncode: int | None
    timed_out: bool
    duration_s: float
    stdout_path: str
    stderr_path: str
    result: dict | None
    #: The sandbox's layers that took effect (netns, pidns, fs-readonly, no-caps, subreaper...).
    layers: tuple[str, ...] = ()
    #: Processes still running when the command ended, killed by the sandbox: {"pid", "cmdline"}.
    orphans: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def isolation(self) -> str:
        return "+".join(self.layers) or "none"

    @property
    def crashed(self) -> bool:
        return self.returncode is not None and self.returncode < 0 and not self.timed_out

    def stderr_tail(self, max_chars: int = 4000) -> str:
        return read_tail(self.stderr_path, max_chars)

    def sandbox_json(self) -> dict:
        """What a result records about its sandbox."""
        doc: dict = {"layers": list(self.layers)}
        if self.orphans:
            doc["orphans"] = list(self.orphans)
        if self.notes:
            doc["notes"] = list(self.notes)
        return doc


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
    writable: tuple[Path, ...] = (),
    limits: Limits = Limits(),
    runtime: bool = True,
) -> ChildOutcome:
    """Run one sandboxed child to completion, kill it (and everything it started) on timeout, read its
    result. The child may write only to `workdir` and `writable` where a mount namespace allows it."""
    if _STOPPING.is_set():
        raise SandboxError("the run is being cancelled; no new sandbox is started")
    env = _child_env(workdir, runtime=runtime, network=network, env_extra=env_extra)
    prefix, layers = isolation_prefix(network)
    stdout_path = workdir / "stdout.txt"
    stderr_path = workdir / "stderr.txt"
    status_r, status_w = os.pipe()
    # The lifeline: the sandbox holds the read end, only this process the write end (not inheritable),
    # so the sandbox sees end-of-file, and kills itself whole, when this process ends however it ends.
    life_r, life_w = os.pipe()
    spec = {"argv": [str(a) for a in argv], "cwd": str(cwd or workdir), "status_fd": status_w,
            "lifeline_fd": life_r, "layers": list(layers), "limits": limits.to_json(timeout_s),
            "writable": [str(workdir), *(str(p) for p in writable)]}
    spec_path = workdir / "sandbox.spec"
    spec_path.write_bytes(marshal.dumps(spec))
    started = time.monotonic()
    try:
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            proc = subprocess.Popen(
                [*prefix, sys.executable, "-I", "-S", str(SANDBOX_INIT), str(spec_path)], stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, env=env, cwd=str(cwd or workdir), start_new_session=True,
                pass_fds=(status_w, life_r),
            )
            os.close(status_w)
            os.close(life_r)
            status_w = life_r = -1
            timed_out = _wait(proc, timeout_s)
        status = _read_status(status_r)
    finally:
        for fd in (status_r, life_w, status_w, life_r):
            if fd >= 0:
                os.close(fd)
    duration = time.monotonic() - started
    for p in (stdout_path, stderr_path):
        cap_file(p)
    return _outcome(argv, proc, status, timed_out=timed_out, duration_s=duration, layers=layers,
                    stdout_path=stdout_path, stderr_path=stderr_path, result_path=result_path)


def _child_env(workdir: Path, *, runtime: bool, network: bool, env_extra: dict[str, str] | None) -> dict[str, str]:
    """The child's folders (a private HOME and TMPDIR inside ``workdir``) and its allowlisted environment."""
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"
    tmp = workdir / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    extra = {"TMPDIR": str(tmp), "PYTHONFAULTHANDLER": "1"}
    if runtime:  # the in-lane runtime (probes/); tools such as uv get nothing on their path
        extra["PYTHONPATH"] = runtime_path()
    extra.update(env_extra or {})
    return base_env(network=network, home=str(home), extra=extra)


def _wait(proc: subprocess.Popen, timeout_s: float) -> bool:
    """Wait for the sandbox's first process, killing its whole tree past the timeout (or when the run is
    being cancelled); whether the timeout expired."""
    with _LIVE_LOCK:
        _LIVE.add(proc.pid)
    if _STOPPING.is_set():
        kill_tree(proc.pid)
    expired = threading.Event()
    # A timer, not wait(timeout=): Popen.wait with a timeout polls with sleeps of up to 50 ms,
    # which every child would pay in full.
    timer = threading.Timer(timeout_s + KILL_GRACE_S, _expire, (proc.pid, expired))
    timer.daemon = True
    timer.start()
    try:
        proc.wait()
    finally:
        timer.cancel()
        with _LIVE_LOCK:
            _LIVE.discard(proc.pid)
    return expired.is_set()


def _outcome(argv: list[str], proc: subprocess.Popen, status: dict, *, timed_out: bool, duration_s: float,
             layers: tuple[str, ...], stdout_path: Path, stderr_path: Path, result_path: Path | None) -> ChildOutcome:
    """How the child ended, from what the sandbox reported on its status pipe (the command's own exit
    status; the first process's when the sandbox died before telling, as on a kill)."""
    if status.get("started") is False:
        raise SandboxError(f"cannot start {argv[0]} in the sandbox: {status.get('error')}")
    returncode = status.get("returncode", proc.returncode)
    if not status and not timed_out and proc.returncode and proc.returncode > 0:
        raise SandboxError(f"the sandbox ended without saying how its command did (exit {proc.returncode}): "
                           f"{read_tail(str(stderr_path), 300).strip() or 'no output'}")
    return ChildOutcome(
        returncode=returncode,
        timed_out=timed_out,
        duration_s=duration_s,
        stdout_path=str(stdout_path),
        stderr_path=str(stderr_path),
        result=read_result(result_path) if result_path else None,
        layers=tuple(status.get("layers") or layers),
        orphans=tuple(status.get("orphans") or ()),
        notes=tuple(status.get("notes") or ()),
    )


def run_tool(argv: list[str], *, workdir: Path, timeout_s: float, writable: tuple[Path, ...] = (),
             env_extra: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess | None, ChildOutcome]:
    """An installer or build (uv running build backends: untrusted code with network) in the sandbox,
    with build-sized limits. The process as `subprocess.run` would give it (text output), or None when
    it ran out of time, and how the sandbox ended."""
    outcome = run_child(argv, workdir=workdir, timeout_s=timeout_s, env_extra=env_extra, network=True,
                        writable=writable, limits=BUILD_LIMITS, runtime=False)
    if outcome.timed_out:
        return None, outcome
    stdout = Path(outcome.stdout_path).read_text(encoding="utf-8", errors="replace")
    stderr = Path(outcome.stderr_path).read_text(encoding="utf-8", errors="replace")
    return subprocess.CompletedProcess(argv, outcome.returncode or 0, stdout, stderr), outcome


def _expire(pid: int, expired: threading.Event) -> None:
    expired.set()
    kill_tree(pid)


def _read_status(fd: int) -> dict:
    """The sandbox's status document from its pipe; {} when it died before writing one."""
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    try:
        doc = marshal.loads(b"".join(chunks)) if chunks else {}
    except (EOFError, ValueError, TypeError):
        return {}
    return doc if isinstance(doc, dict) else {}


#: First processes of the sandboxes running now (pids), so a cancelled run can kill them at once
#: instead of waiting for each to end.
_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def kill_all() -> int:
    """Kill every sandbox of this process now and refuse to start new ones (a run being cancelled:
    Ctrl-C, SIGTERM). Returns how many were killed."""
    _STOPPING.set()
    with _LIVE_LOCK:
        pids = list(_LIVE)
    for pid in pids:
        kill_tree(pid)
    return len(pids)


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
