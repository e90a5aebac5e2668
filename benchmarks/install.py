"""Install benchmark (issue 3): ftlab's lane environments against plain venv + pip, cold and warm cache.

One lock (``ftlab.deps.lock.resolve``) of a 20-package set, pure and C-extension wheels, installed into two
lanes two ways:

- **uv**: ``ftlab.lanes.envs.build_env``, exactly as a run does it (``uv venv``, then each pin with
  ``uv pip install --no-deps``, then the in-lane runtime's hypothesis constrained to the lock);
- **pip**: ``python -m venv``, then ``pip install --no-deps -r lock.txt`` (the same pins, in one call).

Each (tool, lane) pair gets a fresh empty cache in a temp dir: the first install into a new venv is
**cold**, a second install into another new venv with the same cache is **warm**. Times include creating
the venv. Figures go to stdout, progress to stderr.

    python benchmarks/install.py [--repeat N] [--lane PATH --lane PATH] [--packages NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ftlab.deps.lock import Lock, resolve, uv_command
from ftlab.errors import FtlabError, UsageError
from ftlab.lanes.envs import build_env, pin_applies
from ftlab.lanes.interpreters import discover, fingerprint
from ftlab.lanes.subjects import parse_subjects
from ftlab.records import Lane
from ftlab.sandbox import process as sandbox

#: Popular PyPI packages: pure-Python wheels (requests' tree, jinja2, click, attrs, ...) and
#: C-extension wheels (numpy, pyyaml, markupsafe, msgpack, wrapt, psutil, cffi, charset-normalizer).
#: Their dependencies are all in the set, so the lock is these 20 plus platform-marked extras.
DEFAULT_PACKAGES = (
    "requests", "urllib3", "idna", "certifi", "charset-normalizer", "pyyaml", "markupsafe", "jinja2",
    "click", "attrs", "packaging", "six", "python-dateutil", "numpy", "msgpack", "wrapt", "psutil",
    "cffi", "pycparser", "typing-extensions",
)
#: `python -m venv` runs ensurepip (a few seconds); past this the interpreter is broken.
VENV_TIMEOUT_S = 120.0
#: One `pip install -r` of the whole lock; a cold download of numpy's wheel on a slow link takes minutes.
PIP_TIMEOUT_S = 1200.0
#: How much of a failed installer's output goes into the error message.
LOG_TAIL_CHARS = 1500
TOOLS = ("uv", "pip")
MODES = ("cold", "warm")


class InstallFailed(FtlabError):
    """An install the benchmark timed did not install the lock: its time would mean nothing."""


@dataclass(frozen=True, kw_only=True)
class Sample:
    mode: str  # cold | warm
    tool: str  # uv | pip
    lane: str
    repeat: int
    seconds: float


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- lanes and lock --------------------------------------------------------------------------------


def pick_lanes(paths: Sequence[str]) -> list[Lane]:
    """The two lanes: the interpreters given with --lane, else the two newest GIL CPythons found."""
    if paths:
        if len(paths) != 2:
            raise UsageError(f"--lane was given {len(paths)} time(s), expected 2; pass --lane PATH twice, or not at all")
        lanes = [fingerprint(p, source="explicit") for p in paths]
        if os.path.realpath(lanes[0].path) == os.path.realpath(lanes[1].path):
            raise UsageError(f"both --lane paths are the same interpreter ({lanes[0].path}); pass two different ones")
    else:
        lanes = []
        for lane in discover():  # newest first
            if (lane.available and not lane.gil_disabled and lane.implementation == "cpython"
                    and all(_minor(lane) != _minor(other) for other in lanes)):
                lanes.append(lane)
            if len(lanes) == 2:
                break
        if len(lanes) < 2:
            raise UsageError(
                f"found {len(lanes)} GIL CPython interpreter(s) of distinct versions, expected 2; "
                "install one with 'uv python install 3.13' or pass --lane PATH twice"
            )
    if lanes[0].name == lanes[1].name:  # e.g. two 3.13 builds: tell them apart by full version and path
        lanes = [replace(lane, name=f"{lane.version}-{i + 1}") for i, lane in enumerate(lanes)]
    return lanes


def _minor(lane: Lane) -> tuple[int, int]:
    major, minor = lane.version.split(".")[:2]
    return int(major), int(minor)


def lock_for(packages: Sequence[str], lanes: Sequence[Lane]) -> Lock:
    """One universal lock for both lanes, from the older lane's Python up (as a run resolves)."""
    oldest = min(_minor(lane) for lane in lanes)
    return resolve(parse_subjects(packages), python_version=f"{oldest[0]}.{oldest[1]}")


def expected_pins(lock: Lock, lane: Lane) -> dict[str, str]:
    return {p.name: p.version for p in lock.pins if p.version and pin_applies(p, lane)}


# -- the two ways of installing -----------------------------------------------------------------------


@contextmanager
def uv_cache(cache: Path) -> Iterator[None]:
    """build_env's children take UV_CACHE_DIR from this process's environment (sandbox.base_env)."""
    old = os.environ.get("UV_CACHE_DIR")
    os.environ["UV_CACHE_DIR"] = str(cache)
    try:
        yield
    finally:
        if old is None:
            del os.environ["UV_CACHE_DIR"]
        else:
            os.environ["UV_CACHE_DIR"] = old


def install_uv(lane: Lane, lock: Lock, root: Path, cache: Path) -> tuple[float, Path]:
    with uv_cache(cache):
        t0 = time.perf_counter()
        env = build_env(lane, lock, root)
        seconds = time.perf_counter() - t0
    if not env.ok:
        raise InstallFailed(f"build_env on lane '{lane.name}' failed: {env.reason}")
    failed = [d for d in env.dists if d.outcome == "failed"]
    if failed:
        d = failed[0]
        raise InstallFailed(f"build_env could not install {d.name}=={d.version} on lane '{lane.name}' "
                            f"({d.failure}: {d.key_line}); fix the package set or the lane")
    if not env.runtime_ok:
        say(f"  warning: {env.runtime_reason}")
    return seconds, Path(env.python)


def pip_env() -> dict[str, str]:
    """The allowlisted environment ftlab gives installers, and nothing from pip's config files."""
    extra = {
        # The user's and the site's pip.conf may add find-links or extra indexes (local wheel dirs):
        # both tools must read the lock's one index and nothing else.
        "PIP_CONFIG_FILE": os.devnull,
        # pip's self-check is a network round trip unrelated to installing; uv has nothing like it.
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    if "PIP_CERT" in os.environ:  # a CA bundle (TLS-inspecting egress), as uv gets SSL_CERT_FILE
        extra["PIP_CERT"] = os.environ["PIP_CERT"]
    return sandbox.base_env(network=True, extra=extra)


def _run(cmd: list[str], what: str, timeout: float, env: dict[str, str]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise InstallFailed(f"{what} did not finish in {timeout:.0f} s; check the network or the index") from None
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip()[-LOG_TAIL_CHARS:]
        raise InstallFailed(f"{what} failed (exit {proc.returncode}); its output ends:\n{tail}")


def install_pip(lane: Lane, lock: Lock, root: Path, cache: Path, requirements: Path) -> tuple[float, Path]:
    venv = root / lane.name
    python = venv / "bin" / "python"
    index = ["--index-url", lock.index_url] if lock.index_url else []
    env = pip_env()
    t0 = time.perf_counter()
    _run([lane.path, "-m", "venv", str(venv)], f"'{lane.path} -m venv'", VENV_TIMEOUT_S, env)
    say(f"  python -m venv: {time.perf_counter() - t0:.2f} s")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--cache-dir", str(cache), *index, "-r", str(requirements)],
         f"pip install on lane '{lane.name}'", PIP_TIMEOUT_S, env)
    return time.perf_counter() - t0, python


def check_installed(python: Path, want: dict[str, str], what: str) -> None:
    """Every pin the lane needs is in the venv at the locked version (outside the timed part)."""
    proc = subprocess.run([*uv_command(), "pip", "freeze", "--python", str(python)], capture_output=True,
                          text=True, timeout=60, env=sandbox.base_env())
    have = {}
    for line in proc.stdout.splitlines():
        name, sep, version = line.partition("==")
        if sep:
            have[name.strip().lower().replace("_", "-").replace(".", "-")] = version.strip()
    wrong = sorted(f"{n}=={v} (got {have.get(n, 'nothing')})" for n, v in want.items() if have.get(n) != v)
    if wrong:
        raise InstallFailed(f"{what} did not install the lock: {', '.join(wrong[:5])}; see the installer's output")


def pip_version(python: Path) -> str:
    proc = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True, timeout=60,
                          env=pip_env())
    return proc.stdout.split()[1] if proc.returncode == 0 and proc.stdout else "?"


# -- the benchmark ------------------------------------------------------------------------------------


def measure(lanes: Sequence[Lane], lock: Lock, repeat: int, workdir: Path) -> tuple[list[Sample], dict[str, str]]:
    samples: list[Sample] = []
    pip_versions: dict[str, str] = {}
    requirements = workdir / "lock.txt"
    requirements.write_text(lock.requirements_txt(), encoding="utf-8")
    for r in range(1, repeat + 1):
        for i, lane in enumerate(lanes):
            want = expected_pins(lock, lane)
            # Rotate which tool goes first, so neither always meets a cold CDN edge or a cold page cache.
            order = TOOLS if (r + i) % 2 == 0 else TOOLS[::-1]
            for tool in order:
                cache = workdir / f"cache-{tool}-{lane.name}-{r}"
                for mode in MODES:
                    root = workdir / f"venv-{tool}-{lane.name}-{r}-{mode}"
                    say(f"[{r}/{repeat}] {lane.name} {tool} {mode} ...")
                    if tool == "uv":
                        seconds, python = install_uv(lane, lock, root, cache)
                    else:
                        seconds, python = install_pip(lane, lock, root, cache, requirements)
                        pip_versions.setdefault(lane.name, pip_version(python))
                    check_installed(python, want, f"{tool} ({mode}) on lane '{lane.name}'")
                    say(f"[{r}/{repeat}] {lane.name} {tool} {mode}: {seconds:.2f} s")
                    samples.append(Sample(mode=mode, tool=tool, lane=lane.name, repeat=r, seconds=seconds))
                    shutil.rmtree(root, ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
    return samples, pip_versions


# -- rendering (pure) ---------------------------------------------------------------------------------


def _median(samples: Sequence[Sample], mode: str, tool: str, lane: str | None) -> tuple[float, float, float]:
    """(median, min, max) seconds; lane None sums both lanes within each repeat first."""
    by_repeat: dict[int, float] = {}
    for s in samples:
        if s.mode == mode and s.tool == tool and (lane is None or s.lane == lane):
            by_repeat[s.repeat] = by_repeat.get(s.repeat, 0.0) + s.seconds
    values = list(by_repeat.values())
    return statistics.median(values), min(values), max(values)


def render(samples: Sequence[Sample], lanes: Sequence[Lane], lock: Lock, packages: Sequence[str], repeat: int,
           pip_versions: dict[str, str], uv_version: str, load: tuple[float, float]) -> str:
    lane_names = [lane.name for lane in lanes]
    lines = [
        f"# ftlab install benchmark: {len(packages)} packages -> {len(lock.pins)} pins, index {lock.index_url}",
        "# lanes: " + "; ".join(f"{lane.name} = CPython {lane.version} ({lane.path}, pip {pip_versions.get(lane.name, '?')})"
                                for lane in lanes),
        f"# uv: {uv_version}; repeats: {repeat}" + (" (median, [min-max])" if repeat > 1 else ""),
        f"# load average (1 min) before/after: {load[0]:.1f}/{load[1]:.1f} on {os.cpu_count()} CPUs"
        + ("  <- busy machine: expect noise, use --repeat" if max(load) > (os.cpu_count() or 1) else ""),
        "",
        f"{'mode':<6} {'tool':<5} {'lane':<10} {'seconds':>8}" + ("  range" if repeat > 1 else ""),
    ]
    for mode in MODES:
        for tool in TOOLS:
            for lane in [*lane_names, None]:
                med, lo, hi = _median(samples, mode, tool, lane)
                spread = f"  [{lo:.2f}-{hi:.2f}]" if repeat > 1 else ""
                lines.append(f"{mode:<6} {tool:<5} {lane or 'both':<10} {med:>8.2f}{spread}")
    lines += ["", f"{'mode':<6} {'lane':<10} {'pip/uv':>7}"]
    for mode in MODES:
        for lane in [*lane_names, None]:
            ratio = _median(samples, mode, "pip", lane)[0] / _median(samples, mode, "uv", lane)[0]
            lines.append(f"{mode:<6} {lane or 'both':<10} {ratio:>6.2f}x")
    lines += [
        "",
        "# uv = ftlab.lanes.envs.build_env: uv venv, one 'uv pip install --no-deps' per pin, then hypothesis (+deps)",
        "#      constrained to the lock for the in-lane runtime; no .pyc compilation (uv's default).",
        "# pip = python -m venv (with ensurepip) + one 'pip install --no-deps -r lock.txt'; pip compiles .pyc.",
        "# cold = fresh empty cache per tool and lane; warm = same cache, new venv. Times include the venv.",
    ]
    if repeat > 1:
        lines.append("# both = the two lanes summed within each repeat, then the median (not a sum of medians).")
    return "\n".join(lines) + "\n"


# -- command line -------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}; see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="benchmarks/install.py",
                description="Time installing one ftlab lock into two lanes: ftlab's uv envs vs venv + pip, cold and warm.")
    p.add_argument("--lane", action="append", default=[], metavar="PATH",
                   help="a python executable; give it twice (default: the two newest GIL CPythons found)")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="measure N times; report the median (default: 1)")
    p.add_argument("--packages", nargs="+", default=None, metavar="NAME",
                   help=f"the packages to lock (default: {len(DEFAULT_PACKAGES)} popular ones, see DEFAULT_PACKAGES)")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    return p


def main_inner(argv: Sequence[str] | None = None) -> str:
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {args.repeat}")
    packages = [n for arg in (args.packages or DEFAULT_PACKAGES) for n in arg.split(",") if n.strip()]
    say("finding lanes ...")
    lanes = pick_lanes(args.lane)
    say("lanes: " + ", ".join(f"{lane.name} ({lane.path})" for lane in lanes))
    t0 = time.perf_counter()
    lock = lock_for(packages, lanes)
    say(f"locked {len(packages)} packages into {len(lock.pins)} pins in {time.perf_counter() - t0:.1f} s")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ftlab-bench-install-") as tmp:
        samples, pip_versions = measure(lanes, lock, args.repeat, Path(tmp))
    load = (load_before, os.getloadavg()[0])
    uv_version = subprocess.run([*uv_command(), "--version"], capture_output=True, text=True).stdout.strip()
    return render(samples, lanes, lock, packages, args.repeat, pip_versions, uv_version, load)


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        sys.stdout.write(main_inner(argv))
    except FtlabError as exc:
        if debug:
            traceback.print_exc()
        print(f"benchmarks/install.py: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("benchmarks/install.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
