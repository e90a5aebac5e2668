"""Lane environments: one venv per lane, created and filled by uv from the run's one lock.

Every pin is installed with `--no-deps` exactly as locked, one pin at a time so a pin that cannot
install on a lane is recorded against that distribution (a finding) while the rest still install.
Nothing is ever re-resolved per lane. uv's cache makes a second lane, or a second run, reuse
downloads and built wheels.
"""

from __future__ import annotations

import csv
import mmap
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from packaging.markers import Marker
from packaging.utils import canonicalize_name, parse_wheel_filename

from ftlab.deps.index import IndexClient
from ftlab.deps.lock import Lock, Pin, run_uv_sandboxed, uv_cache_dir, uv_command
from ftlab.deps.readiness import assess, parse_target
from ftlab.errors import PackageIndexError
from ftlab.records import Lane
from ftlab.sandbox import process as sandbox

#: Installing one pin: a cold sdist build of a big C extension can take many minutes
#: (``ftlab run --install-timeout``).
PIN_TIMEOUT_S = 1200.0
#: Creating a venv is a few file copies; past this something is wrong with the interpreter.
VENV_TIMEOUT_S = 120.0
#: What the in-lane runtime needs besides the standard library.
RUNTIME_REQUIREMENTS = ("hypothesis>=6.136.9",)
#: How much of an install log goes into a finding's evidence.
LOG_TAIL_CHARS = 3000

#: Failure classes, most specific first: (class, pattern in uv's output).
FAILURE_PATTERNS = (
    ("no-wheel", r"has no usable wheels|building from source is disabled|no wheels with a matching|only-binary"),
    ("index-unreachable", r"dns error|error sending request|Connection refused|tcp connect error|timed out|Failed to fetch"),
    ("missing-compiler-or-headers",
     r"fatal error: [^\n]*\.h: No such file|command '?[\w/.+-]*(gcc|cc|clang|g\+\+)'? failed|unable to execute '?(gcc|cc)|"
     r"No such file or directory: '(gcc|cc|clang)'|error: (command|compiler) .*not found|Python\.h: No such file|"
     # Rust extensions (maturin, setuptools-rust) without a toolchain: orjson's sdist on 3.14t.
     r"rustup could not choose a version of cargo|can't find Rust compiler|cargo: (command )?not found|"
     r"No such file or directory: 'cargo'"),
    ("build-backend-error", r"Failed to build|build backend returned an error|Build backend failed|failed to build"),
    ("resolution-conflict",
     r"No solution found|there is no version of|not satisfy Python|requires-python|unsatisfiable|conflict"),
)


@dataclass(frozen=True, kw_only=True)
class DistOutcome:
    """How one locked distribution fared on one lane."""

    name: str
    version: str | None
    #: wheel | sdist | local (a project directory, built) | failed | not-needed | pending (a build from
    #: source not started yet: ``finish_env`` installs it while other packages are checked)
    outcome: str
    filename: str = ""
    wheel_tag: str = ""  # e.g. cp314-cp314t-manylinux_2_28_x86_64 or py3-none-any
    seconds: float = 0.0
    failure: str = ""  # a FAILURE_PATTERNS class, or "other"
    key_line: str = ""
    log_tail: str = ""
    #: Processes the install (its build script) left running, killed by the sandbox: command lines.
    left_running: tuple[str, ...] = ()
    #: The index the lock took it from (password masked), so a report can say where it came from.
    index: str = ""
    #: On a ThreadSanitizer lane, for a distribution with compiled code: "instrumented" (every shared
    #: object built with -fsanitize=thread), "not-instrumented" (none: a prebuilt wheel) or
    #: "partly-instrumented"; ``not_instrumented`` lists those without it (paths in site-packages).
    #: ThreadSanitizer sees no race inside them.
    tsan: str = ""
    not_instrumented: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None) or k in ("name", "outcome")}


@dataclass(frozen=True, kw_only=True)
class LaneEnv:
    lane: str
    venv: str
    python: str
    ok: bool
    reason: str = ""
    dists: tuple[DistOutcome, ...] = ()
    runtime_ok: bool = False
    runtime_reason: str = ""
    seconds: float = 0.0
    wheels_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def dist(self, name: str) -> DistOutcome | None:
        return next((d for d in self.dists if d.name == name), None)


def marker_environment(lane: Lane) -> dict[str, str]:
    """PEP 508 marker values for a lane, from its fingerprint (lanes run on this machine's OS)."""
    import platform
    import sys

    major_minor = lane.minor
    return {
        "implementation_name": lane.implementation or "cpython",
        "implementation_version": lane.version,
        "os_name": "nt" if sys.platform == "win32" else "posix",
        "platform_machine": platform.machine(),
        "platform_python_implementation": "CPython" if lane.implementation == "cpython" else lane.implementation,
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": lane.version,
        "python_version": major_minor,
        "sys_platform": sys.platform,
        "extra": "",
    }


def pin_timeout(options) -> float:
    """Seconds one pin's install may take, from a run's options (``install_timeout_s``)."""
    value = (options or {}).get("install_timeout_s")
    return float(value) if value else PIN_TIMEOUT_S


def pin_applies(pin: Pin, lane: Lane) -> bool:
    return not pin.markers or Marker(pin.markers).evaluate(marker_environment(lane))


#: A line of a build backend's own output that says why it failed (an exception, an error message),
#: as opposed to uv's "Failed to build" around it.
_BACKEND_CAUSE = re.compile(r"^(?:[\w.]+(?:Error|Exception)|error|ERROR|Error)\b:? ")
_UV_OWN = re.compile(r"Failed to build|build backend returned an error|Call to `[^`]+` failed")


def _backend_cause(lines: list[str]) -> str:
    """The last line the build backend printed about its failure, without uv's decoration."""
    for line in reversed(lines):
        text = line.lstrip("|`->x ").strip()
        if _BACKEND_CAUSE.match(text) and not _UV_OWN.search(text):
            return text
    return ""


def classify(log: str) -> tuple[str, str]:
    """(failure class, key line) from an installer's output. The key line is uv's "Because ..." cause
    when it gives one (it names the package and the reason), else the line that matched."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip() and not ln.startswith("DEBUG")]
    because = next((ln.partition("Because ")[2] for ln in lines if "Because " in ln), "")
    for cls, pattern in FAILURE_PATTERNS:
        m = re.search(pattern, log)
        if m:
            start = log.rfind("\n", 0, m.start()) + 1
            end = log.find("\n", m.end())
            matched = log[start:end if end >= 0 else len(log)].strip()
            if cls == "build-backend-error" and not because:
                matched = _backend_cause(lines) or matched
            return cls, ("Because " + because if because else matched)[:300]
    return "other", (lines[-1] if lines else "no output")[:300]


_SELECTING = re.compile(r"Selecting: (?P<name>[^=\s\[]+)=\S* \[[^\]]*\] \((?P<file>[^)]+)\)")


def _chosen_file(log: str, name: str) -> str:
    """The file uv selected for the distribution ``name``. Building an sdist makes uv select the build's
    own requirements too (setuptools, cffi, pycparser): those lines are someone else's, and the last
    one named zstandard's build ``pycparser-3.12-py3-none-any.whl`` once."""
    wanted = canonicalize_name(name)
    files = [m.group("file") for m in _SELECTING.finditer(log) if canonicalize_name(m.group("name")) == wanted]
    return files[-1] if files else ""


def wheel_tag(filename: str) -> str:
    """The tag triple of a wheel file name as published (compressed tag sets kept, e.g. manylinux aliases)."""
    if not filename.endswith(".whl"):
        return ""
    parts = filename[:-4].split("-")
    return "-".join(parts[-3:])


def _dist_outcome(pin: Pin, lane: Lane, proc: subprocess.CompletedProcess | None, seconds: float,
                  timeout: bool = False, timeout_s: float = PIN_TIMEOUT_S) -> DistOutcome:
    base = {"name": pin.name, "version": pin.version, "seconds": round(seconds, 3), "index": pin.index}
    log = "" if proc is None else (proc.stdout or "") + (proc.stderr or "")
    tail = "\n".join(ln for ln in log.splitlines() if not ln.startswith("DEBUG"))[-LOG_TAIL_CHARS:]
    if timeout:
        chosen = _chosen_file(log, pin.name)
        if chosen and not chosen.endswith(".whl"):
            # Still building when time ran out: whether it installs here is not known, so it is no
            # finding against the package (grpcio's C++ build on 3.14t takes longer than 20 min on 2 cores).
            return DistOutcome(outcome="failed", failure="build-timeout", filename=chosen, log_tail=tail,
                               key_line=f"no wheel for this lane, and building {chosen} from source did not finish "
                                        f"in {timeout_s:.0f} s", **base)
        return DistOutcome(outcome="failed", failure="build-backend-error", key_line=f"install did not finish in {timeout_s:.0f} s",
                           log_tail=tail, **base)
    if proc is None or proc.returncode != 0:
        cls, key = classify(log)
        chosen = _chosen_file(log, pin.name)
        if chosen and not chosen.endswith(".whl") and not pin.url and cls != "no-wheel":
            key = f"no wheel for this lane; building {chosen} from source failed: {key}"[:400]
        return DistOutcome(outcome="failed", failure=cls, key_line=key, log_tail=tail, **base)
    if pin.url:
        return DistOutcome(outcome="local", filename=pin.url, **base)
    chosen = _chosen_file(log, pin.name)
    if chosen.endswith(".whl"):
        parse_wheel_filename(chosen)  # raises on a malformed name: better loud than a wrong tag
        return DistOutcome(outcome="wheel", filename=chosen, wheel_tag=wheel_tag(chosen), **base)
    if chosen:
        return DistOutcome(outcome="sdist", filename=chosen, **base)
    return DistOutcome(outcome="wheel", filename="(already cached)", **base)


def install_args(lane: Lane) -> tuple[str, ...]:
    """Extra ``uv pip install`` arguments for the pins of ``lane``: none on an ordinary lane. On a
    ThreadSanitizer lane (its fingerprint's ``sanitizer``), uv's shared cache is left out: a wheel uv
    built from an sdist for an ordinary 3.14t has the same cp314t tag, and uv serves it from the cache
    instead of building ("Registry requirement already cached"), without instrumentation; the other
    way round, an instrumented wheel in the shared cache would be served to an ordinary lane, which
    cannot load it. A build here gets -fsanitize=thread from the lane itself (setuptools reads it from
    sysconfig's CFLAGS and LDSHARED, in an isolated build too); a build system that ignores those
    (meson, CMake) is caught by ``tsan_instrumentation``. (CFLAGS in the environment would replace
    setuptools' -O3 -DNDEBUG, so they are not set.)"""
    return ("--no-cache",) if lane.sanitizer == "thread" else ()


#: Symbols only code compiled with -fsanitize=thread refers to (gcc and clang alike).
_TSAN_SYMBOLS = (b"__tsan_func_entry", b"__tsan_init")
_SHARED_OBJECT = re.compile(r"\.(so|pyd|dylib)(\.\d+)*$")


def tsan_instrumentation(venv: Path, name: str) -> tuple[str, tuple[str, ...]]:
    """Whether the installed distribution ``name``'s shared objects (from its RECORD) were built with
    ThreadSanitizer: ("instrumented" | "not-instrumented" | "partly-instrumented", those without it),
    or ("", ()) when it ships none (pure Python) or is not found."""
    wanted = canonicalize_name(name)
    records = [r for r in venv.glob("lib/*/site-packages/*.dist-info/RECORD")
               if canonicalize_name(r.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0]) == wanted]
    if not records:
        return "", ()
    site = records[0].parent.parent
    with open(records[0], newline="", encoding="utf-8", errors="replace") as f:
        binaries = [row[0] for row in csv.reader(f) if row and _SHARED_OBJECT.search(row[0])]
    without = tuple(b for b in binaries if not _instrumented(site / b))
    if not binaries:
        return "", ()
    state = "instrumented" if not without else "not-instrumented" if len(without) == len(binaries) else "partly-instrumented"
    return state, without


def _instrumented(path: Path) -> bool:
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return any(m.find(symbol) >= 0 for symbol in _TSAN_SYMBOLS)
    except (OSError, ValueError):  # unreadable, or empty
        return False


def _install_pin(pin: Pin, lane: Lane, venv: Path, logs: Path, settings, *, wheels_only: bool,
                 timeout_s: float) -> DistOutcome:
    """One pin into the lane's venv, sandboxed (able to write only the venv and uv's cache)."""
    uv = uv_command()
    requirement = f"{pin.name} @ {_private_copy(pin.url, venv / 'src' / pin.name)}" if pin.url else f"{pin.name}=={pin.version}"
    # A local project is built by definition; wheels-only applies to what comes from the index.
    no_build = ["--no-build"] if wheels_only and not pin.url else []
    cmd = [*uv, "pip", "install", "-v", "--no-deps", "--python", str(venv / "bin" / "python"), *install_args(lane),
           *no_build, requirement]
    t0 = time.monotonic()
    p, outcome = run_uv_sandboxed(cmd, workdir=logs / sandbox.folder_name(pin.name), timeout_s=timeout_s,
                                  writable=(venv,), settings=settings)
    if p is not None and p.returncode != 0 and not pin.url and _index_lost_pin(p.stderr, pin):
        # The lock resolved this exact release moments ago, so an index page without it is a stale copy
        # (a CDN or cache in between): ask for the page afresh once before calling the pin uninstallable.
        p, outcome = run_uv_sandboxed([*cmd[:-1], "--refresh-package", pin.name, cmd[-1]],
                                      workdir=logs / (sandbox.folder_name(pin.name) + "-refresh"),
                                      timeout_s=timeout_s, writable=(venv,), settings=settings)
    timed_out = p is None
    if timed_out:  # what uv had printed tells whether it was building from source
        p = subprocess.CompletedProcess(cmd, -1, _read(outcome.stdout_path), _read(outcome.stderr_path))
    dist = _dist_outcome(pin, lane, p, time.monotonic() - t0, timeout=timed_out, timeout_s=timeout_s)
    if outcome.orphans:
        dist = replace(dist, left_running=tuple(o["cmdline"] for o in outcome.orphans))
    if lane.sanitizer == "thread" and dist.outcome in ("wheel", "sdist", "local"):
        state, without = tsan_instrumentation(venv, pin.name)
        if state:
            dist = replace(dist, tsan=state, not_instrumented=without)
    return dist


def _index_lost_pin(stderr: str, pin: Pin) -> bool:
    """uv's words for an index page that does not list the pinned release at all."""
    return f"there is no version of {pin.name}=={pin.version}" in (stderr or "").lower().replace("_", "-")


def finish_env(env: LaneEnv, lane: Lane, lock: Lock, root: Path, *, wheels_only: bool = False,
               timeout_s: float = PIN_TIMEOUT_S) -> LaneEnv:
    """The pins ``build_env`` left ``pending`` (builds from source), installed one at a time in lock
    order: the lane's env with their outcomes. Runs while the run checks the other packages."""
    if not env.ok:
        return env
    pending = {d.name for d in env.dists if d.outcome == "pending"}
    started = time.monotonic()
    done = {pin.name: _install_pin(pin, lane, Path(env.venv), root / f"{lane.name}-logs", lock.install_settings(),
                                   wheels_only=wheels_only, timeout_s=timeout_s)
            for pin in lock.pins if pin.name in pending}
    return replace(env, dists=tuple(done.get(d.name, d) for d in env.dists),
                   seconds=env.seconds + time.monotonic() - started)


def build_env(lane: Lane, lock: Lock, root: Path, *, wheels_only: bool = False,
              timeout_s: float = PIN_TIMEOUT_S, defer: frozenset[str] = frozenset()) -> LaneEnv:
    """Create the lane's venv and install every applicable pin (each within ``timeout_s``); never raises
    for a pin that fails. Pins named in ``defer`` (builds from source the run announced) are left
    ``pending`` for ``finish_env``."""
    started = time.monotonic()
    venv = root / lane.name
    uv = uv_command()
    env = sandbox.base_env(network=True)
    proc = subprocess.run([*uv, "venv", "--quiet", "--python", lane.path, str(venv)], capture_output=True,
                          text=True, timeout=VENV_TIMEOUT_S, env=env)
    python = str(venv / "bin" / "python")
    if proc.returncode != 0:
        return LaneEnv(lane=lane.name, venv=str(venv), python=lane.path, ok=False,
                       reason=f"uv venv failed: {classify(proc.stderr)[1]}", seconds=time.monotonic() - started)
    constraints = venv / "ftlab-lock.txt"
    constraints.write_text(lock.requirements_txt())
    common = ["--python", python]
    # The lock's index (and extra indexes, proxy, certificates) reach each sandboxed uv in its environment.
    settings = lock.install_settings()
    # Installs build sdists, which runs their code: each runs sandboxed, able to write only the venv and
    # uv's cache (shared across runs, so a second lane or run reuses downloads and built wheels; not on a
    # ThreadSanitizer lane, see install_args).
    logs = root / f"{lane.name}-logs"
    dists = []
    for pin in lock.pins:
        if not pin_applies(pin, lane):
            dists.append(DistOutcome(name=pin.name, version=pin.version, outcome="not-needed"))
        elif pin.name in defer:
            dists.append(DistOutcome(name=pin.name, version=pin.version, outcome="pending", index=pin.index))
        else:
            dists.append(_install_pin(pin, lane, venv, logs, settings, wheels_only=wheels_only, timeout_s=timeout_s))
    # The runtime's own needs, constrained to the lock: if they clash with a pin, the pin wins and the
    # stress check says it cannot run, rather than the lane silently testing other versions.
    p, _ = run_uv_sandboxed([*uv, "pip", "install", "--quiet", *common, "-c", str(constraints), *RUNTIME_REQUIREMENTS],
                            workdir=logs / "ftlab-runtime", timeout_s=PIN_TIMEOUT_S, writable=(venv,), settings=settings)
    runtime_ok = p is not None and p.returncode == 0
    runtime_reason = "" if runtime_ok else \
        f"hypothesis cannot join this lock: {classify(p.stderr)[1] if p else 'the install timed out'}"
    return LaneEnv(lane=lane.name, venv=str(venv), python=python, ok=True, dists=tuple(dists),
                   runtime_ok=runtime_ok, runtime_reason=runtime_reason,
                   seconds=time.monotonic() - started, wheels_only=wheels_only)


def _read(path: str | None) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace") if path else ""
    except OSError:
        return ""


#: What a copy of a local project leaves out: build leftovers and VCS data (they belong to the user's tree).
_COPY_IGNORE = ("build", "dist", "*.egg-info", "__pycache__", ".git", ".tox", ".venv", ".nox", "*.so", ".ftlab")


def _private_copy(url: str, dest: Path) -> str:
    """Local projects are built from a per-lane copy: setuptools writes build/ and *.egg-info into the
    source tree, and two lanes building one tree at once would collide there (and litter the user's)."""
    if not url.startswith("file://"):
        return url
    src = Path(unquote(urlparse(url).path))
    if not src.is_dir():
        return url
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*_COPY_IGNORE), symlinks=True)
    return dest.as_uri()


def closure(lock: Lock, name: str) -> list[Pin]:
    """The pins a subject needs: itself and everything that (transitively) came in via it."""
    by_name = {p.name: p for p in lock.pins}
    out, todo, seen = [], [name], set()
    while todo:
        n = todo.pop()
        if n in seen or n not in by_name:
            continue
        seen.add(n)
        out.append(by_name[n])
        todo += [p.name for p in lock.pins if n in p.via]
    return out


# -- builds from source, announced before they cost time ------------------------------------------

#: Seconds of build per MB of sdist, a rough guide on 2 cores: grpcio's 12.7 MB C++ sdist builds in
#: 20+ minutes on 3.14t, zstandard's 0.7 MB C sdist in about a minute. A size says little about a build
#: (test data, vendored sources), so every estimate is shown as rough.
BUILD_S_PER_MB = 90.0
#: The least a build from source costs (an isolated build environment, a compiler start): not free.
BUILD_MIN_S = 30.0
#: An estimate past the default --install-timeout would only say "it will time out".
BUILD_MAX_S = PIN_TIMEOUT_S


@dataclass(frozen=True, kw_only=True)
class BuildAhead:
    """A pin with no wheel for a lane: the run builds it from source, announced before it starts."""

    name: str
    version: str
    lane: str
    sdist: str
    size: int | None
    estimate_s: float

    def describe(self) -> str:
        size = f"{self.size / 1e6:.1f} MB, " if self.size else ""
        return (f"{self.name}=={self.version} on {self.lane}: no wheel for this lane, builds from {self.sdist} "
                f"({size}roughly {_minutes(self.estimate_s)})")


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def estimate_build_s(size: int | None) -> float:
    if not size:
        return BUILD_MIN_S
    return max(BUILD_MIN_S, min(BUILD_MAX_S, size / 1e6 * BUILD_S_PER_MB))


def lane_target(lane: Lane):
    """The readiness target of a lane (``cp314t`` on this machine's platform tag), or None when its
    fingerprint has no platform tag to read."""
    tag = next((t for t in lane.platform_tags if t.count("-") == 2), "")
    version = lane.version.split(".")
    if not tag or len(version) < 2:
        return None
    return parse_target(f"cp{version[0]}{version[1]}{'t' if lane.gil_disabled else ''}-{tag.split('-')[2]}")


def cached_build(cache: Path | None, name: str, version: str, lane: Lane) -> bool:
    """Whether uv's cache already holds a wheel it built from this release's sdist for the lane's ABI
    (``sdists-v*/<index>/.../<name>/<version>/<id>/*.whl``): then the "build" is a copy. Never on a
    ThreadSanitizer lane, which installs without uv's cache (``install_args``)."""
    if cache is None or lane.sanitizer == "thread" or not lane.version:
        return False
    major, minor = lane.version.split(".")[:2]
    abi = f"cp{major}{minor}{'t' if lane.gil_disabled else ''}"
    for wheel in cache.glob(f"sdists-v*/**/{canonicalize_name(name)}/{version}/*/*.whl"):
        try:
            tags = parse_wheel_filename(wheel.name)[3]
        except ValueError:  # InvalidWheelFilename: not one of uv's
            continue
        if any(t.abi == abi for t in tags):
            return True
    return False


def builds_ahead(lock: Lock, lanes, releases: dict[tuple[str, str], Any],
                 cached: Any = None) -> list[BuildAhead]:
    """Pins that no wheel serves on a lane, from the index's files of each pin (``releases``: (name,
    version) -> a sequence of ``DistFile``): what the run will build from source. ``cached(name,
    version, lane)`` says a build is already in uv's cache (no cost: left out). Pure but for ``cached``."""
    out = []
    for lane in lanes:
        target = lane_target(lane) if lane.available else None
        if target is None:
            continue
        for pin in lock.pins:
            files = releases.get((pin.name, pin.version or ""))
            if pin.url or files is None or not pin_applies(pin, lane):
                continue
            cell = assess(files, target)
            if cell.status == "sdist-only" and not (cached and cached(pin.name, pin.version or "", lane)):
                size = next((f.size for f in files if f.filename == cell.file), None)
                out.append(BuildAhead(name=pin.name, version=pin.version or "", lane=lane.name, sdist=cell.file or "",
                                      size=size, estimate_s=estimate_build_s(size)))
    return out


def forecast_builds(lock: Lock, lanes) -> tuple[list[BuildAhead], str]:
    """What the run will build from source, read from the lock's index before anything installs, and
    why nothing could be read ("" when it could): an index that cannot be read here fails the installs
    with its own message, so the forecast never stops a run."""
    wanted = [(p.name, p.version) for p in lock.pins if p.version and not p.url]
    if not wanted or not any(lane.available for lane in lanes):
        return [], ""
    client = IndexClient(settings=lock.install_settings())
    try:
        with ThreadPoolExecutor(max_workers=client.max_workers, thread_name_prefix="ftlab-forecast") as pool:
            files = dict(zip(wanted, pool.map(lambda w: client.release_files(*w), wanted), strict=True))
    except PackageIndexError as exc:
        return [], str(exc)
    cache = uv_cache_dir()
    return builds_ahead(lock, lanes, files, cached=lambda name, version, lane: cached_build(cache, name, version, lane)), ""

