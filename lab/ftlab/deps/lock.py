"""One lock for all lanes: the subjects resolved once with ``uv pip compile``.

The lock is universal by default (``--universal --python-version 3.14``): uv resolves for every platform
and every Python from 3.14 on, writing environment markers where the answer differs, so the 3.14 and 3.14t
lanes (and any platform) install the very same pins with ``uv pip install --no-deps -r``.

Saved form (``Lock.text``), a requirements file with a header that ``Lock.parse`` reads back::

    # ftlab-lock/1
    # index-url: https://pypi.org/simple
    # python-version: 3.14
    # universal: true
    # index-source: /etc/pip.conf [global] index-url
    # proxy: http://proxy.example:3128 (from HTTPS_PROXY)
    # certificates: system store
    cffi==2.0.0 ; platform_python_implementation != 'PyPy'  # via cryptography; from https://pypi.org/simple
    myproj @ file:///home/me/myproj

The lines after ``universal`` say where packages come from (``pipconfig.IndexSettings.describe``: the
index and its source, extra indexes, find-links, proxy, certificates), and each pin names the index uv
took it from; URLs are stored with their passwords masked.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from ftlab.deps.pipconfig import IndexSettings, index_settings, mask_url, settings_for_lock
from ftlab.errors import FtlabError, PackageIndexError, ResolutionError, UsageError
from ftlab.records import Subject

#: v1: header lines (index-url, python-version, universal) then one pin per line with an optional "# via".
#: Later v1 locks add header lines (index-source, proxy, certificates...) and "; from INDEX" after the via;
#: both are optional, so older locks read the same and older readers skip them.
FORMAT = "ftlab-lock/1"
#: The lanes ftlab exists for; uv can resolve for 3.14 without a 3.14 interpreter on the machine.
DEFAULT_PYTHON_VERSION = "3.14"
#: Resolution is metadata-only and fast (< 1 s warm), but a cold cache on a big tree that needs sdist
#: builds for metadata can take minutes.
RESOLVE_TIMEOUT_S = 600.0

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)\s*(?:;\s*(?P<markers>[^#]+?))?\s*(?:#\s*(?P<comment>.*))?$")
_URL_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*(?P<url>\S+)\s*(?:;\s*(?P<markers>[^#]+?))?\s*(?:#.*)?$")
_PATH_LINE = re.compile(r"^(?P<path>(?:/|\.|file:)\S*)\s*(?:;\s*(?P<markers>[^#]+?))?\s*(?:#.*)?$")


@dataclass(frozen=True, kw_only=True)
class Pin:
    """One locked distribution. ``version`` is None for a local project (pinned by path)."""

    name: str
    version: str | None
    markers: str | None = None
    url: str | None = None
    #: Who pulled it in (canonical names); empty for a subject asked for directly.
    via: tuple[str, ...] = ()
    #: The index uv took it from (password masked); empty when uv did not say (local projects).
    index: str = ""

    def requirement(self) -> str:
        base = f"{self.name} @ {self.url}" if self.url else f"{self.name}=={self.version}"
        return f"{base} ; {self.markers}" if self.markers else base


@dataclass(frozen=True, kw_only=True)
class Lock:
    pins: tuple[Pin, ...]
    text: str
    #: The main index, password masked (the real URL is in ``settings``, or the configuration).
    index_url: str
    python_version: str
    universal: bool = True
    #: Where packages come from, as recorded in the header (``IndexSettings.describe`` minus index-url).
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The settings it was resolved with (a fresh lock; None for one read back from text).
    settings: IndexSettings | None = field(default=None, compare=False, repr=False)

    def install_settings(self) -> IndexSettings:
        """What each lane's installs use: the settings the lock was made with, or for a stored lock its
        index (credentials back from the configuration) with today's proxy and certificates."""
        return self.settings or settings_for_lock(self.index_url)

    def requirements_txt(self) -> str:
        """What ``uv pip install --no-deps -r`` (or ``uv pip sync``) takes: exactly these pins."""
        return "".join(p.requirement() + "\n" for p in self.pins)

    def save(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.write_text(self.text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Lock:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read lock file '{path}': {exc.strerror or exc}; check the path") from None
        return cls.parse(text, source=str(path))

    @classmethod
    def parse(cls, text: str, source: str = "lock") -> Lock:
        header: dict[str, str] = {}
        lines = text.splitlines()
        if not lines or lines[0].strip() != f"# {FORMAT}":
            first = lines[0].strip() if lines else "(empty)"
            raise UsageError(f"{source} starts with {first!r}, expected '# {FORMAT}'; write it with ftlab's lock")
        pins = []
        for line in lines[1:]:
            if line.startswith("# ") and ":" in line and not pins:
                key, _, value = line[2:].partition(":")
                header[key.strip()] = value.strip()
            elif line.strip() and not line.lstrip().startswith("#"):
                pins.append(_parse_pin_line(line, {}, source))
        sources = {k: v for k, v in header.items() if k not in ("index-url", "python-version", "universal")}
        return cls(pins=tuple(pins), text=text, index_url=header.get("index-url", ""),
                   python_version=header.get("python-version", DEFAULT_PYTHON_VERSION),
                   universal=header.get("universal", "true") == "true", sources=sources)


def _parse_pin_line(line: str, paths: dict[str, str], source: str) -> Pin:
    line = line.strip()
    if m := _PIN.match(line):
        via_text, index = "", ""
        for part in (m["comment"] or "").split(";"):
            key, _, value = part.strip().partition(" ")
            if key == "via":
                via_text = value
            elif key == "from":
                index = value.strip()
        via = tuple(canonicalize_name(v.strip()) for v in via_text.split(",")
                    if v.strip() and not v.strip().startswith("-r"))
        return Pin(name=canonicalize_name(m["name"]), version=m["version"], markers=m["markers"], via=via,
                   index=index)
    if m := _URL_PIN.match(line):
        return Pin(name=canonicalize_name(m["name"]), version=None, markers=m["markers"], url=m["url"])
    if m := _PATH_LINE.match(line):
        path = m["path"].removeprefix("file://")
        name = paths.get(path) or canonicalize_name(Path(path).name)
        return Pin(name=name, version=None, markers=m["markers"], url=Path(path).as_uri())
    raise ResolutionError(f"cannot read the pin {line!r} in {source}; expected 'name==version' or 'name @ url'")


def render(pins: Sequence[Pin], index_url: str, python_version: str, universal: bool,
           sources: Mapping[str, str] | None = None) -> str:
    head = [f"# {FORMAT}", f"# index-url: {mask_url(index_url)}", f"# python-version: {python_version}",
            f"# universal: {'true' if universal else 'false'}"]
    head += [f"# {k}: {v}" for k, v in (sources or {}).items() if k != "index-url"]
    body = []
    for p in pins:
        notes = ([f"via {', '.join(p.via)}"] if p.via else []) + ([f"from {p.index}"] if p.index else [])
        body.append(p.requirement() + (f"  # {'; '.join(notes)}" if notes else ""))
    return "\n".join(head + body) + "\n"


def uv_command() -> list[str]:
    """How to run uv: the binary the ``uv`` package ships, else ``python -m uv``."""
    return list(_uv_command())


@functools.cache
def _uv_command() -> tuple[str, ...]:
    # Found once, under a lock: uv's finder reads sysconfig, whose first use is not thread-safe (3.11
    # reads EXE as None while another thread fills the config vars), and lane venvs are built in threads.
    with _UV_LOCK:
        try:
            from uv import find_uv_bin

            return (os.fsdecode(find_uv_bin()),)
        except (ImportError, FileNotFoundError):
            return (sys.executable, "-m", "uv")


_UV_LOCK = threading.Lock()


@functools.cache
def uv_cache_dir() -> Path | None:
    """uv's cache as the user's environment configures it, so sandboxed runs of uv (private HOME) share it."""
    from ftlab.sandbox.process import base_env

    try:
        proc = subprocess.run([*uv_command(), "cache", "dir"], capture_output=True, text=True, timeout=30,
                              env=base_env(network=True))
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = proc.stdout.strip()
    if proc.returncode != 0 or not path:
        return None
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def run_uv_sandboxed(argv: list[str], *, workdir: Path, timeout_s: float, writable: Sequence[Path] = (),
                     settings: IndexSettings | None = None):
    """uv running what may build sdists (their code), sandboxed with network: it may write ``writable``
    and uv's cache, shared with every other run of uv. Its index, proxy and certificates are
    ``settings`` (default: as configured, ``pipconfig.index_settings``), given in its environment, not
    its command line (index URLs may carry credentials). ``sandbox.run_tool``'s (process or None, outcome)."""
    from ftlab.sandbox import process as sandbox

    cache = uv_cache_dir()
    env = (settings or index_settings()).uv_env()
    if cache:
        env["UV_CACHE_DIR"] = str(cache)
    return sandbox.run_tool(argv, workdir=workdir, timeout_s=timeout_s,
                            writable=(*writable, *((cache,) if cache else ())), env_extra=env)


def _subject_line(s: Subject) -> str:
    if s.kind in ("project", "fixture"):
        return str(Path(s.path).resolve())
    return s.spec


def compile_command(python_version: str, universal: bool, requirements_in: str) -> list[str]:
    """``uv pip compile`` for a lock; the indexes come in its environment (``run_uv_sandboxed``)."""
    cmd = [*uv_command(), "pip", "compile", requirements_in, "--no-header", "--annotation-style", "line",
           "--python-version", python_version, "--emit-index-annotation",
           # A lock must never wait on downloading an interpreter; uv builds sdists for metadata with any.
           "--no-python-downloads"]
    if universal:
        cmd.append("--universal")
    return cmd


def resolve(
    subjects: Sequence[Subject],
    *,
    index_url: str | None = None,
    python_version: str = DEFAULT_PYTHON_VERSION,
    universal: bool = True,
    extra_index_urls: Sequence[str] = (),
    timeout_s: float = RESOLVE_TIMEOUT_S,
    settings: IndexSettings | None = None,
) -> Lock:
    """Resolve ``subjects`` into one lock with uv. ``index_url`` / ``extra_index_urls``: given explicitly
    (else as uv or pip is configured, ``pipconfig.index_settings``), or all of it in ``settings``.
    Raises ResolutionError or PackageIndexError."""
    if not subjects:
        raise UsageError("nothing to resolve; pass at least one subject")
    settings = settings or index_settings(index_url=index_url, extra_index_urls=extra_index_urls)
    # Resolving can build sdists for their metadata, which runs their code: uv runs sandboxed, able to
    # write only its cache and the local projects being resolved (their builds write into their trees).
    projects = tuple(Path(s.path).resolve() for s in subjects if s.kind in ("project", "fixture"))
    with tempfile.TemporaryDirectory(prefix="ftlab-lock-") as tmp:
        requirements_in = Path(tmp) / "subjects.in"
        requirements_in.write_text("".join(_subject_line(s) + "\n" for s in subjects))
        cmd = compile_command(python_version, universal, str(requirements_in))
        try:
            proc, _ = run_uv_sandboxed(cmd, workdir=Path(tmp) / "sandbox", timeout_s=timeout_s, writable=projects,
                                       settings=settings)
        except (OSError, FtlabError) as exc:
            raise FtlabError(f"cannot run uv ({cmd[0]}): {exc}; install it with 'pip install uv'") from None
    if proc is None:
        raise ResolutionError(
            f"uv pip compile did not finish in {timeout_s:.0f} s; retry, or pass fewer subjects"
        )
    if proc.returncode != 0:
        raise classify_failure(proc.stderr, settings)
    paths = {str(Path(s.path).resolve()): s.name for s in subjects if s.kind in ("project", "fixture")}
    pins = tuple(_compiled_pins(proc.stdout, paths))
    sources = settings.describe()
    return Lock(pins=pins, text=render(pins, settings.index_url, python_version, universal, sources),
                index_url=mask_url(settings.index_url), python_version=python_version, universal=universal,
                sources={k: v for k, v in sources.items() if k != "index-url"}, settings=settings)


def _compiled_pins(stdout: str, paths: dict[str, str]) -> list[Pin]:
    """Pins of ``uv pip compile`` output, each with the index uv's ``# from URL`` line names."""
    pins: list[Pin] = []
    for line in stdout.splitlines():
        stripped = line.strip()
        if stripped.startswith("# from ") and pins:
            pins[-1] = replace(pins[-1], index=mask_url(stripped.removeprefix("# from ").strip()))
        elif stripped and not stripped.startswith("#"):
            pins.append(_parse_pin_line(line, paths, "uv pip compile output"))
    return pins


def key_lines(stderr: str) -> list[str]:
    """uv's error and its causes, without warnings, as one-line strings."""
    out: list[str] = []
    in_error = False
    for raw in stderr.splitlines():
        line = raw.strip().lstrip("×╰─▶│ ").strip()
        if raw.startswith(("error:", "  × ", "× ")):
            in_error = True
        if not in_error or not line:
            continue
        if raw.startswith(" " * 9) and out:  # uv wraps long causes with deep indentation
            out[-1] += " " + line
        else:
            out.append(line.removeprefix("error: ").removeprefix("cause: "))
    return out or [ln.strip() for ln in stderr.splitlines() if ln.strip()][-1:]


#: uv's words for an index it could not reach (connection, DNS, TLS, proxy, a missing local index).
_UNREACHABLE = re.compile(r"Failed to fetch|error sending request|dns error|Connection refused|timed out|tcp connect|"
                          r"invalid peer certificate|certificate verify|UnknownIssuer|Failed to read `--find-links`|"
                          r"[Pp]roxy (?:error|connect|authentication)|tunnel|Failed to read from the registry")
_URL = re.compile(r"(?:https?|file)://[^\s`'\")]+")


def classify_failure(stderr: str, index: IndexSettings | str) -> FtlabError:
    """Turn uv's stderr into one error a person can act on, with uv's key line as evidence. ``index``:
    the settings uv ran with (a bare URL: that index, with the rest as configured)."""
    settings = index if isinstance(index, IndexSettings) else index_settings(index_url=index)
    index_url = mask_url(settings.index_url)
    lines = key_lines(stderr)
    text = " ".join(lines)
    evidence = next((ln for ln in lines if ln.startswith("Because")), lines[-1] if lines else "uv failed")
    if _UNREACHABLE.search(text):
        urls = _URL.findall(text)
        return PackageIndexError(settings.unreachable_message(lines[-1] if lines else "no detail",
                                                              urls[0] if urls else None))
    if m := re.search(r"Because (\S+) was not found in the package registry", text):
        return ResolutionError(f"no package named '{m[1]}' on {index_url}; check the spelling ({evidence})")
    if m := re.search(r"there is no version of (\S+?) and you require", text) or \
            re.search(r"there is no version of (\S+)", text):
        return ResolutionError(f"no release matches {m[1]} on {index_url}; relax the pin ({evidence})")
    if "No solution found" in text or "unsatisfiable" in text or "incompatible" in text:
        return ResolutionError(f"the subjects conflict; no set of versions satisfies them all ({evidence})")
    if "Failed to build" in text or "build backend" in text.lower():
        return ResolutionError(f"a subject's metadata could not be built ({lines[0]}); see uv's output: {evidence}")
    return ResolutionError(f"uv pip compile failed: {'; '.join(lines) or 'no output'}")


def hashed_requirements(lock: Lock, releases: Sequence, *, run_id: str = "") -> tuple[str, list[str]]:
    """The lock as a requirements file with hashes (pip's ``--require-hashes`` mode, ``uv pip install``):
    every pin exactly as the run installed it, with the sha256 of every file of its release on the index
    (a universal lock: each platform and Python picks its own file, and each is pinned). ``releases``
    are ``ftlab.deps.index.Release`` records of the lock's indexed pins. Returns (text, local projects left
    out: a directory has no hash, and one unhashed line would turn hash checking off).
    Pure."""
    by_pin = {(canonicalize_name(r.name), r.version): r for r in releases}
    header = [f"# {FORMAT} export" + (f" of run {run_id}" if run_id else ""),
              f"# index-url: {lock.index_url}", f"# python-version: {lock.python_version}+ (universal)",
              "# install with: pip install --require-hashes --no-deps -r THIS_FILE (or uv pip sync THIS_FILE)"]
    lines, unhashed = [], []
    for pin in lock.pins:
        if pin.version is None:
            unhashed.append(pin.name)
            lines.append(f"# {pin.requirement()}  (local project: not hashable)")
            continue
        release = by_pin.get((canonicalize_name(pin.name), pin.version))
        digests = sorted({f.hashes["sha256"] for f in (release.files if release else ()) if f.hashes.get("sha256")})
        if not digests:
            raise PackageIndexError(f"the index {lock.index_url} lists no sha256 for {pin.name} {pin.version}; "
                                    "a lock with hashes cannot pin it (use an index that publishes hashes)")
        lines.append(pin.requirement() + " \\")
        lines += [f"    --hash=sha256:{d}" + (" \\" if i < len(digests) - 1 else "") for i, d in enumerate(digests)]
        if pin.via:
            lines.append(f"    # via {', '.join(pin.via)}")
    return "\n".join(header + lines) + "\n", unhashed
