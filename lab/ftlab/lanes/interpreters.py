"""Lanes: find interpreters, fingerprint them, match specs, provision missing ones with uv.

A lane is identified by what the interpreter reports about itself (probes/ftlab_probes/runtime/fingerprint.py),
never by its file name: a `python3.14t` that reports `Py_GIL_DISABLED = 0` is a GIL lane.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from ftlab.deps.lock import uv_command
from ftlab.errors import LaneError, UsageError
from ftlab.records import Lane
from ftlab.sandbox import process as sandbox

#: The lanes a run uses when none are named: the GIL baseline and the free-threaded build.
DEFAULT_SPECS = ("3.14", "3.14t")

#: Hypothesis, which every lane venv carries for the stress runtime, needs 3.10.
MIN_LANE_VERSION = (3, 10)

#: Fingerprinting starts an interpreter once; a cold start from a slow disk can take seconds.
FINGERPRINT_TIMEOUT_S = 30.0

#: `uv python install` downloads ~30 MB; past this the lane is reported unavailable and the run goes on.
PROVISION_TIMEOUT_S = 300.0

#: Preference when several interpreters match one spec with the same version.
SOURCE_ORDER = ("explicit", "provisioned", "uv", "pyenv", "path")

FINGERPRINT_SCRIPT = sandbox.PROBES_DIR / "runtime" / "fingerprint.py"

_VERSION_SPEC = re.compile(r"^(?:cpython-?|python)?(\d+)\.(\d+)(?:\.(\d+))?(t)?$")
_EXE_NAME = re.compile(r"^python\d\.\d+t?$")


@dataclass(frozen=True, kw_only=True)
class LaneSpec:
    """What a user asked for: a version (`3.14`, `3.14t`, `3.13.1`) or a path, optionally named."""

    text: str
    name: str = ""
    path: str = ""
    major: int = 0
    minor: int = 0
    micro: int | None = None
    free_threaded: bool = False

    @property
    def is_path(self) -> bool:
        return bool(self.path)

    @property
    def version_text(self) -> str:
        micro = f".{self.micro}" if self.micro is not None else ""
        return f"{self.major}.{self.minor}{micro}{'t' if self.free_threaded else ''}"

    def matches(self, lane: Lane) -> bool:
        """A version spec matches the build kind exactly: `3.14` never matches a free-threaded build."""
        if self.is_path or not lane.version:
            return False
        parts = lane.release
        if (parts[0], parts[1]) != (self.major, self.minor):
            return False
        if self.micro is not None and parts[2] != self.micro:
            return False
        return lane.gil_disabled == self.free_threaded and lane.implementation == "cpython"


def parse_spec(text: str) -> LaneSpec:
    """Parse `3.14`, `3.14t`, `cpython3.13`, `/path/to/python` or `NAME=SPEC`."""
    raw = text.strip()
    name = ""
    if "=" in raw:
        name, _, raw = raw.partition("=")
        name = name.strip()
        if not name or not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
            raise UsageError(f"lane name {name!r} in {text!r} is not valid; use letters, digits and . _ + -")
    m = _VERSION_SPEC.match(raw)
    if m:
        return LaneSpec(
            text=text,
            name=name,
            major=int(m.group(1)),
            minor=int(m.group(2)),
            micro=int(m.group(3)) if m.group(3) is not None else None,
            free_threaded=bool(m.group(4)),
        )
    if os.sep in raw or raw.startswith(".") or os.path.exists(raw):
        return LaneSpec(text=text, name=name, path=raw)
    which = shutil.which(raw) if raw.startswith("python") else None
    if which:
        return LaneSpec(text=text, name=name, path=which)
    close = difflib.get_close_matches(raw.lower().replace(",", "."), _SPEC_EXAMPLES, n=1, cutoff=0.7)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(
        f"unknown lane spec {text!r}; {hint}expected a version like 3.14 or 3.14t, a path to a python "
        "executable, or NAME=PATH"
    )


#: What a mistyped version spec is compared with for "did you mean" (3.14T, 314t, 3,13).
_SPEC_EXAMPLES = tuple(f"3.{minor}{t}" for minor in range(MIN_LANE_VERSION[1], 16) for t in ("", "t"))


def lane_name(fp: dict) -> str:
    major, minor = fp["version_info"][:2]
    return f"{major}.{minor}{'t' if fp.get('gil_disabled') else ''}"


def fingerprint(path: str, *, source: str, name: str = "") -> Lane:
    """Ask an interpreter what it is. Raises LaneError with a fix when it cannot be a lane."""
    p = Path(path).expanduser()
    if not p.exists():
        raise LaneError(f"lane path '{path}' does not exist; pass the path of a python executable, e.g. --lane $(uv python find 3.14t)")
    if p.is_dir():
        raise LaneError(f"lane path '{path}' is a directory; pass the python executable inside it, e.g. {p / 'bin' / 'python3'}")
    if not os.access(p, os.X_OK):
        raise LaneError(f"lane path '{path}' is not executable; pass the path of a python executable")
    # -E -s: ignore PYTHON* variables and the user site, so the lane reports itself as a venv would see
    # it. (-I is not used: Python 2 rejects it, and a 2.7 must still answer to be told it is too old.)
    try:
        proc = subprocess.run(
            [str(p), "-E", "-s", str(FINGERPRINT_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=FINGERPRINT_TIMEOUT_S,
            env=sandbox.base_env(),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise LaneError(f"'{path}' did not answer within {FINGERPRINT_TIMEOUT_S:.0f} s; is it a python executable?") from None
    except OSError as exc:
        raise LaneError(f"'{path}' cannot be run ({exc.strerror}); pass the path of a python executable") from None
    fp = _parse_fingerprint(proc.stdout)
    if fp is None:
        raise LaneError(f"'{path}' is not a Python interpreter (it printed no fingerprint); pass the path of a python executable")
    version = tuple(fp["version_info"][:2])
    if version < MIN_LANE_VERSION:
        raise LaneError(
            f"Python {fp['version']} at '{path}' is too old; ftlab lanes need CPython "
            f"{MIN_LANE_VERSION[0]}.{MIN_LANE_VERSION[1]} or newer (try 'uv python install 3.14')"
        )
    return lane_from_fingerprint(fp, path=str(p), source=source, name=name)


def _parse_fingerprint(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and "version_info" in doc:
            return doc
    return None


def lane_from_fingerprint(fp: dict, *, path: str, source: str, name: str = "") -> Lane:
    return Lane(
        name=name or lane_name(fp),
        path=path,
        version=fp["version"],
        implementation=fp.get("implementation", ""),
        gil_disabled=bool(fp.get("gil_disabled")),
        abiflags=fp.get("abiflags") or "",
        ext_suffix=fp.get("ext_suffix") or "",
        platform_tags=tuple(fp.get("platform_tags") or ()),
        source=source,
        sanitizer=fp.get("sanitizer") or "",
    )


# -- discovery -----------------------------------------------------------------------------------


def _pyenv_root() -> Path | None:
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    exe = shutil.which("pyenv")
    if exe:
        try:
            out = subprocess.run([exe, "root"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out:
            return Path(out)
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _executables_in(directory: Path) -> list[Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    return [e for e in entries if _EXE_NAME.match(e.name) and os.access(e, os.X_OK) and e.is_file()]


def candidates() -> list[tuple[str, str]]:
    """(path, source) for every interpreter file found, before fingerprinting."""
    found: list[tuple[str, str]] = []
    uv = uv_command()
    if uv:
        try:
            proc = subprocess.run(
                [*uv, "python", "list", "--only-installed", "--managed-python", "--output-format", "json"],
                capture_output=True, text=True, timeout=30, env=sandbox.base_env(),
            )
            for entry in json.loads(proc.stdout or "[]"):
                if entry.get("path"):
                    found.append((entry["path"], "uv"))
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
    root = _pyenv_root()
    if root:
        for version_dir in sorted((root / "versions").glob("*")):
            found += [(str(e), "pyenv") for e in _executables_in(version_dir / "bin")]
    shims = str(root / "shims") if root else None
    for d in os.environ.get("PATH", "").split(os.pathsep):
        # pyenv shims only dispatch to versions already found above (and fail for inactive ones).
        if d and d != shims:
            found += [(str(e), "path") for e in _executables_in(Path(d))]
    return found


def discover(extra: Sequence[str] = ()) -> list[Lane]:
    """Every interpreter found, fingerprinted and deduplicated. Old or broken ones are listed unavailable."""
    cands = [(p, "explicit") for p in extra] + candidates()
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    for path, source in cands:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append((path, source))

    def probe(item: tuple[str, str]) -> Lane:
        path, source = item
        try:
            return fingerprint(path, source=source)
        except LaneError as exc:
            return Lane(name=Path(path).name, path=path, source=source, available=False, reason=str(exc))

    with ThreadPoolExecutor(max_workers=8) as pool:
        lanes = list(pool.map(probe, unique))
    # Several file names (python3, python3.13) can lead to one interpreter through copies; keep one.
    out: list[Lane] = []
    keys: set[tuple] = set()
    for lane in lanes:
        key = (lane.version, lane.gil_disabled, lane.abiflags, os.path.dirname(os.path.realpath(lane.path)))
        if lane.available and key in keys:
            continue
        keys.add(key)
        out.append(lane)
    return sorted(out, key=_lane_sort_key)


def _lane_sort_key(lane: Lane) -> tuple:
    version = lane.release or (0,)
    return (not lane.available, [-v for v in version], lane.gil_disabled, SOURCE_ORDER.index(lane.source) if lane.source in SOURCE_ORDER else 99)


def best_match(spec: LaneSpec, found: Iterable[Lane]) -> Lane | None:
    matching = [lane for lane in found if lane.available and spec.matches(lane)]
    return min(matching, key=_lane_sort_key) if matching else None


# -- provisioning --------------------------------------------------------------------------------


def install_command(spec: LaneSpec) -> str:
    return f"uv python install {spec.version_text}"


def provision(spec: LaneSpec, *, timeout_s: float = PROVISION_TIMEOUT_S) -> tuple[Lane | None, str]:
    """Ask uv to install a missing interpreter. Returns (lane, "") or (None, reason)."""
    uv = uv_command()
    request = spec.version_text if spec.free_threaded else f"{spec.major}.{spec.minor}{'' if spec.micro is None else f'.{spec.micro}'}"
    try:
        proc = subprocess.run(
            [*uv, "python", "install", "--no-progress", request],
            capture_output=True, text=True, timeout=timeout_s, env=sandbox.base_env(network=True),
        )
    except subprocess.TimeoutExpired:
        return None, f"'uv python install {request}' did not finish within {timeout_s:.0f} s"
    if proc.returncode != 0:
        return None, f"'uv python install {request}' failed: {_key_line(proc.stderr)}"
    # Fingerprint what uv installed rather than trusting its name for it.
    for lane in discover():
        if lane.source == "uv" and spec.matches(lane):
            return replace(lane, source="provisioned"), ""
    return None, f"uv installed {request} but no matching interpreter was found afterwards"


def _key_line(stderr: str) -> str:
    """A tool's error output in one line: its first error, and the deepest cause when it gives one."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith("error:")]
    causes = [ln.partition(":")[2].strip() for ln in lines if ln.lower().startswith(("cause:", "caused by:"))]
    head = errors[0] if errors else (lines[-1] if lines else "no output")
    return (f"{head} ({causes[-1]})" if causes else head)[:300]


# -- resolving what a run asked for --------------------------------------------------------------


def resolve(
    specs: Sequence[str],
    *,
    provision_missing: bool = True,
    found: Sequence[Lane] | None = None,
    provision_timeout_s: float = PROVISION_TIMEOUT_S,
) -> list[Lane]:
    """The lanes of a run, available or not, in the order asked. Bad specs raise; missing lanes don't.

    With no specs, the defaults apply (3.14 and 3.14t); when 3.14 cannot be had, the newest GIL
    interpreter found becomes the baseline and says so in its reason field.
    """
    defaulted = not specs
    parsed = [parse_spec(s) for s in (specs or DEFAULT_SPECS)]
    path_lanes = {id(sp): fingerprint(sp.path, source="explicit", name=sp.name) for sp in parsed if sp.is_path}
    if found is None and any(not sp.is_path for sp in parsed):
        found = discover()
    lanes: list[Lane] = []
    for sp in parsed:
        if sp.is_path:
            lanes.append(path_lanes[id(sp)])
            continue
        lane = best_match(sp, found or ())
        reason = ""
        if lane is None and provision_missing:
            lane, reason = provision(sp, timeout_s=provision_timeout_s)
        elif lane is None:
            reason = "provisioning disabled (--no-provision)"
        if lane is not None:
            lanes.append(replace(lane, name=sp.name or lane.name, spec=sp.text))
            continue
        kind = "free-threaded" if sp.free_threaded else "GIL"
        why = f"no {kind} CPython {sp.major}.{sp.minor} found ({reason}); install it with '{install_command(sp)}' or pass --lane PATH"
        if defaulted and not sp.free_threaded:
            baseline = _newest_gil(found or ())
            if baseline is not None:
                lanes.append(replace(baseline, spec=sp.text, reason=f"baseline fallback: {why}"))
                continue
        lanes.append(Lane(name=sp.name or sp.version_text, path="", spec=sp.text, gil_disabled=sp.free_threaded,
                          available=False, reason=why, version=f"{sp.major}.{sp.minor}", implementation="cpython"))
    _check_duplicates(lanes)
    return lanes


def _newest_gil(found: Iterable[Lane]) -> Lane | None:
    gil = [lane for lane in found if lane.available and not lane.gil_disabled and lane.implementation == "cpython"]
    return min(gil, key=_lane_sort_key) if gil else None


def _check_duplicates(lanes: Sequence[Lane]) -> None:
    names: dict[str, Lane] = {}
    paths: dict[str, Lane] = {}
    for lane in lanes:
        if lane.name in names:
            raise UsageError(
                f"duplicate lane '{lane.name}' (from {names[lane.name].spec or names[lane.name].path!r} and "
                f"{lane.spec or lane.path!r}); name each lane once, or give one a name with NAME=PATH"
            )
        names[lane.name] = lane
        if lane.available:
            real = os.path.realpath(lane.path)
            if real in paths:
                raise UsageError(
                    f"lanes '{paths[real].name}' and '{lane.name}' are the same interpreter ({lane.path}); pass it once"
                )
            paths[real] = lane


def local_lane(lane: Lane) -> Lane:
    """A lane recorded elsewhere (the client, the run being resumed) as an interpreter on this machine:
    the same path if it is the same interpreter, else the one the lane's spec finds here (provisioned
    with uv when missing)."""
    if not lane.available:
        return lane
    if Path(lane.path).exists():
        here = fingerprint(lane.path, source=lane.source or "explicit", name=lane.name)
        if here.available and (here.version, here.gil_disabled) == (lane.version, lane.gil_disabled):
            return replace(here, name=lane.name, spec=lane.spec)
    spec = lane.spec if lane.spec and "=" not in lane.spec and "/" not in lane.spec else \
        lane.minor + ("t" if lane.gil_disabled else "")
    (found,) = resolve([spec])
    return replace(found, name=lane.name, spec=lane.spec)
