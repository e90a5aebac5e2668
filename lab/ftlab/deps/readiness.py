"""Static wheel readiness: which pinned version has an installable file for each target, read from the index.

Needs no 3.14 interpreter: the subjects are resolved into the shared lock (``ftlab.deps.lock``), each pin's files
are read from the index (``ftlab.deps.index``), and each file's tags are matched with ``packaging.tags`` against
the tag list an installer on the target would accept (for ``cp314t`` abi3 never counts; for ``cp314`` it does).

From 3.15 on, PEP 803's Stable ABI for free-threaded builds counts: a wheel tagged ``cp315-abi3.abi3t`` (both
ABIs in one file) serves ``cp315`` through its abi3 tag and ``cp315t`` through its abi3t tag; a plain abi3
wheel still never serves a free-threaded build, and abi3t never serves 3.14t (its interpreter has no
``.abi3t.so`` suffix).

Cell statuses, best first: ``wheel`` (a platform wheel matches), ``pure`` (only a ``none-any`` wheel matches),
``sdist-only`` (no wheel matches; it must be built from the sdist), ``nothing`` (no file installs),
``not-needed`` (the pin's markers exclude the target), ``local`` (a local project, built from its path).
A package is *ready* on a target when its cell is ``wheel`` or ``pure``.

JSON shape (``Readiness.to_json()``; ``FORMAT`` records changes)::

    {"format": "ftlab-readiness/1",
     "index_url": "https://pypi.org/simple", "python_version": "3.14",
     "targets": ["cp314-manylinux_x86_64", ...],
     "packages": [{"name": "numpy", "version": "2.3.4", "markers": null, "via": [],
                   "classifiers": ["Programming Language :: Python :: Free Threading :: 3 - Stable"] | null,
                   "cells": {"cp314t-manylinux_x86_64": {"status": "wheel", "file": "numpy-...whl",
                                                        "tag": "cp314-cp314t-manylinux_2_27_x86_64"}}}],
     "summary": {"targets": {TARGET: {"ready": 12, "needed": 15, "wheel": 10, "pure": 2, "sdist-only": 2,
                                      "nothing": 1, "not-needed": 0, "local": 0}},
                 "pythons": {"cp314t": {"ready": 12, "needed": 15}}}}

``classifiers`` lists the Free Threading trove classifiers only, as the package declares them; ``null`` means the index gave no way to
read them. ``needed`` counts packages whose cell is not ``not-needed`` or ``local``. ``pythons`` counts a
package as ready when it is ready on every target of that Python where it is needed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ftlab.deps.index import DistFile, IndexClient, Release
from ftlab.deps.lock import Lock, Pin, resolve
from ftlab.deps.pipconfig import index_settings, mask_url
from ftlab.errors import UsageError

FORMAT = "ftlab-readiness/1"  # 1: first version
STATUSES = ("wheel", "pure", "sdist-only", "nothing", "not-needed", "local")
READY = ("wheel", "pure")

#: Newest glibc of a common distribution (Ubuntu 24.04): manylinux wheels up to 2_39 install there.
GLIBC_MAX = (2, 39)
#: macOS 26 accepts every older macosx tag; packaging lists the (unused) 16-25 too, harmlessly.
MACOS_MAX = (26, 0)

#: platform key -> (tag generator args, marker environment)
PLATFORMS: dict[str, dict[str, str]] = {
    "manylinux_x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "manylinux_aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "musllinux_x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "musllinux_aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "macos_arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    "macos_x86_64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"},
    "win_amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
    "win_arm64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "ARM64"},
}
DEFAULT_PLATFORMS = ("manylinux_x86_64", "manylinux_aarch64", "musllinux_x86_64", "macos_arm64", "win_amd64")
#: Today's release and the next (cp315/cp315t: what PEP 803's abi3t wheels are for).
DEFAULT_PYTHONS = ("cp314", "cp314t", "cp315", "cp315t")
DEFAULT_TARGETS = tuple(f"{py}-{plat}" for py in DEFAULT_PYTHONS for plat in DEFAULT_PLATFORMS)

#: A platform tag as wheels carry it, for targets finer than the PLATFORMS keys (manylinux_2_28_x86_64).
_CONCRETE_PLATFORM = re.compile(
    r"^(manylinux_\d+_\d+_\w+|manylinux(1|2010|2014)_\w+|musllinux_\d+_\d+_\w+|macosx_\d+_\d+_\w+|linux_\w+|win32"
    # cibuildwheel's other Linux architectures and macOS universal2
    r"|(manylinux|musllinux)_(i686|ppc64le|s390x|armv7l|riscv64)|macosx_universal2)$"
)
_PYTHON = re.compile(r"^(?:cp|)(3)\.?(\d{1,2})(t?)$")
#: cibuildwheel's build identifiers name platforms their own way (``cp314t-macosx_arm64``); the same targets.
CIBW_PLATFORMS = {"macosx_arm64": "macos_arm64", "macosx_x86_64": "macos_x86_64"}
#: The first Python with the free-threaded Stable ABI (PEP 803).
ABI3T_SINCE = (3, 15)


@dataclass(frozen=True, kw_only=True)
class Target:
    """An interpreter build (``cp314``/``cp314t``) on a platform (``manylinux_x86_64``)."""

    python: str
    platform: str

    @property
    def name(self) -> str:
        return f"{self.python}-{self.platform}"

    @property
    def version(self) -> tuple[int, int]:
        m = _PYTHON.match(self.python)
        assert m, self.python  # parse_target only builds valid ones
        return int(m[1]), int(m[2])

    @property
    def free_threaded(self) -> bool:
        return self.python.endswith("t")

    def environment(self) -> dict[str, str]:
        """PEP 508 marker environment of an installer running on this target."""
        major, minor = self.version
        env = PLATFORMS.get(self.platform) or _guess_environment(self.platform)
        return {
            "implementation_name": "cpython", "implementation_version": f"{major}.{minor}.0",
            "os_name": "nt" if env["sys_platform"] == "win32" else "posix",
            "platform_python_implementation": "CPython", "platform_release": "", "platform_version": "",
            "python_full_version": f"{major}.{minor}.0", "python_version": f"{major}.{minor}", **env,
        }


def _guess_environment(platform: str) -> dict[str, str]:
    if platform.startswith("win"):
        return PLATFORMS["win_arm64" if "arm64" in platform else "win_amd64"]
    if platform.startswith("macosx"):
        return PLATFORMS["macos_x86_64" if platform.endswith("x86_64") else "macos_arm64"]
    return {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": platform.rsplit("_", 1)[-1]}


def parse_target(spec: str) -> Target:
    """'cp314t-manylinux_x86_64' (or '3.14t-win_amd64', a concrete platform tag like 'manylinux_2_28_x86_64',
    or a cibuildwheel build identifier like 'cp314t-macosx_arm64')."""
    python, sep, platform = spec.strip().partition("-")
    platform = CIBW_PLATFORMS.get(platform, platform)
    m = _PYTHON.match(python)
    if not sep or not m:
        raise UsageError(
            f"target {spec!r} is not PYTHON-PLATFORM; write it like 'cp314t-manylinux_x86_64' "
            f"(platforms: {', '.join(PLATFORMS)})"
        )
    if platform not in PLATFORMS and not _CONCRETE_PLATFORM.match(platform):
        import difflib

        near = difflib.get_close_matches(platform, PLATFORMS, n=1)
        hint = f"did you mean '{near[0]}'? " if near else ""
        raise UsageError(f"unknown platform {platform!r} in target {spec!r}; {hint}known: {', '.join(PLATFORMS)}")
    return Target(python=f"cp{m[1]}{m[2]}{m[3]}", platform=platform)


def parse_targets(specs: Iterable[str] | None) -> tuple[Target, ...]:
    """Targets from specs (comma-separated lists allowed); the default set when none are given."""
    flat = [s for spec in (specs or ()) for s in spec.split(",") if s.strip()]
    targets = tuple(dict.fromkeys(parse_target(s) for s in (flat or DEFAULT_TARGETS)))
    return targets


def _platform_tags(platform: str) -> list[str]:
    arch = platform.rsplit("_", 1)[-1] if not platform.endswith("x86_64") else "x86_64"
    if platform.startswith("manylinux"):
        m = re.match(r"^manylinux_(\d+)_(\d+)_", platform)
        glibc = (int(m[1]), int(m[2])) if m else GLIBC_MAX
        legacy = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
        out = []
        for minor in range(glibc[1], 4, -1):
            out.append(f"manylinux_{glibc[0]}_{minor}_{arch}")
            if (glibc[0], minor) in legacy:
                out.append(f"{legacy[glibc[0], minor]}_{arch}")
        return out
    if platform.startswith("musllinux"):
        m = re.match(r"^musllinux_(\d+)_(\d+)_", platform)
        top = int(m[2]) if m else 2
        return [f"musllinux_1_{minor}_{arch}" for minor in range(top, -1, -1)]
    if platform.startswith(("macos_", "macosx_")):
        m = re.match(r"^macosx_(\d+)_(\d+)_", platform)
        version = (int(m[1]), int(m[2])) if m else MACOS_MAX
        return list(mac_platforms(version, arch))
    return [platform]


def _tag_version(tag: Tag) -> tuple[int, int]:
    m = _PYTHON.match(tag.interpreter)
    return (int(m[1]), int(m[2])) if m else (0, 0)


@lru_cache(maxsize=64)
def target_tags(target: Target) -> tuple[Tag, ...]:
    """The tags an installer on ``target`` accepts, most preferred first (as packaging.tags.sys_tags orders them)."""
    abi = target.python  # cp314 or cp314t: packaging leaves abi3 out for a threaded abi
    platforms = _platform_tags(target.platform)
    # packaging yields abi3t for every threaded abi, 3.14t and older Pythons' tags included; PEP 803's abi3t
    # starts with 3.15 (3.14t cannot load an .abi3t.so), so only cp315+ abi3t tags on a 3.15t+ target count.
    tags = [t for t in cpython_tags(target.version, [abi], platforms)
            if t.abi != "abi3t" or (target.version >= ABI3T_SINCE and _tag_version(t) >= ABI3T_SINCE)]
    tags += compatible_tags(target.version, f"cp{target.version[0]}{target.version[1]}", platforms)
    return tuple(dict.fromkeys(tags))


@dataclass(frozen=True, kw_only=True)
class Cell:
    status: str
    file: str | None = None
    tag: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "file": self.file, "tag": self.tag}


def _python_ok(requires_python: str | None, target: Target) -> bool:
    if not requires_python:
        return True
    try:
        return SpecifierSet(requires_python).contains("{}.{}.0".format(*target.version), prereleases=True)
    except InvalidSpecifier:
        return True  # installers ignore an invalid Requires-Python; so do we


def assess(files: Sequence[DistFile], target: Target) -> Cell:
    """The best file an installer on ``target`` would pick from ``files``. Pure."""
    rank = {tag: i for i, tag in enumerate(target_tags(target))}
    best: tuple[int, DistFile, Tag] | None = None
    for f in files:
        if f.kind != "wheel" or not _python_ok(f.requires_python, target):
            continue
        try:
            tags = parse_wheel_filename(f.filename)[3]
        except InvalidWheelFilename:
            continue
        hit = min((rank[t] for t in tags if t in rank), default=None)
        if hit is not None and (best is None or hit < best[0]):
            best = (hit, f, target_tags(target)[hit])
    if best is not None:
        _, f, tag = best
        return Cell(status="pure" if tag.platform == "any" else "wheel", file=f.filename, tag=str(tag))
    sdist = next((f for f in files if f.kind == "sdist" and _python_ok(f.requires_python, target)), None)
    if sdist is not None:
        return Cell(status="sdist-only", file=sdist.filename)
    return Cell(status="nothing")


def _applies(pin: Pin, target: Target) -> bool:
    if not pin.markers:
        return True
    try:
        return Marker(pin.markers).evaluate(target.environment())
    except InvalidMarker:
        return True


@dataclass(frozen=True, kw_only=True)
class PackageRow:
    name: str
    version: str | None
    markers: str | None
    via: tuple[str, ...]
    classifiers: tuple[str, ...] | None
    #: One cell per target, in the order of ``Readiness.targets``.
    cells: tuple[Cell, ...]


def _is_local(pin: Pin) -> bool:
    return bool(pin.url and pin.url.startswith("file:") and not pin.url.endswith((".whl", ".tar.gz", ".zip")))


def package_row(pin: Pin, release: Release | None, targets: Sequence[Target]) -> PackageRow:
    """One pin against every target. Pure: ``release`` is None for pins not read from the index (URLs)."""
    if release is not None:
        files, classifiers = release.files, release.classifiers
    elif pin.url and not _is_local(pin):
        files, classifiers = (DistFile(filename=pin.url.rsplit("/", 1)[-1], url=pin.url),), None
    else:
        files, classifiers = (), None
    cells = []
    for t in targets:
        if not _applies(pin, t):
            cells.append(Cell(status="not-needed"))
        elif _is_local(pin):
            cells.append(Cell(status="local", file=pin.url))
        else:
            cells.append(assess(files, t))
    return PackageRow(name=pin.name, version=pin.version, markers=pin.markers, via=pin.via,
                      classifiers=classifiers, cells=tuple(cells))


@dataclass(frozen=True, kw_only=True)
class Readiness:
    targets: tuple[Target, ...]
    packages: tuple[PackageRow, ...]
    index_url: str
    python_version: str

    def cell(self, name: str, target: str, version: str | None = None) -> Cell:
        """The cell of a package (first row of that name, or of that version) on a target, by name."""
        i = [t.name for t in self.targets].index(target)
        row = next(r for r in self.packages if r.name == name and (version is None or r.version == version))
        return row.cells[i]

    def target_summary(self, index: int) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.packages:
            counts[row.cells[index].status] += 1
        needed = len(self.packages) - counts["not-needed"] - counts["local"]
        return {"ready": counts["wheel"] + counts["pure"], "needed": needed, **counts}

    def python_summary(self, python: str) -> dict[str, int]:
        idx = [i for i, t in enumerate(self.targets) if t.python == python]
        ready = needed = 0
        for row in self.packages:
            cells = [row.cells[i] for i in idx if row.cells[i].status not in ("not-needed", "local")]
            if cells:
                needed += 1
                ready += all(c.status in READY for c in cells)
        return {"ready": ready, "needed": needed}

    @property
    def pythons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.python for t in self.targets))

    @property
    def all_ready(self) -> bool:
        return all(c.status in (*READY, "not-needed", "local") for row in self.packages for c in row.cells)

    def to_json(self) -> dict[str, Any]:
        names = [t.name for t in self.targets]
        return {
            "format": FORMAT,
            "index_url": self.index_url,
            "python_version": self.python_version,
            "targets": names,
            "packages": [
                {"name": r.name, "version": r.version, "markers": r.markers, "via": list(r.via),
                 "classifiers": None if r.classifiers is None else list(r.classifiers),
                 "cells": {n: c.to_json() for n, c in zip(names, r.cells, strict=True)}}
                for r in self.packages
            ],
            "summary": {
                "targets": {n: self.target_summary(i) for i, n in enumerate(names)},
                "pythons": {p: self.python_summary(p) for p in self.pythons},
            },
        }


def check_readiness(lock: Lock, targets: Sequence[Target], client: IndexClient,
                    on_done: Any = None) -> Readiness:
    """Read every indexed pin of ``lock`` from ``client`` and assess it on ``targets``."""
    indexed = [p for p in lock.pins if p.version is not None]
    releases = client.releases([(p.name, p.version) for p in indexed], on_done=on_done)
    by_pin = dict(zip(indexed, releases, strict=True))
    rows = tuple(package_row(p, by_pin.get(p), targets) for p in lock.pins)
    return Readiness(targets=tuple(targets), packages=rows, index_url=lock.index_url,
                     python_version=lock.python_version)


def readiness_for(
    subjects: Sequence[str],
    requirement_files: Sequence[str] = (),
    *,
    targets: Sequence[str] | None = None,
    index_url: str | None = None,
    quiet: bool = False,
) -> Readiness:
    """Resolve the subjects, read the index, assess every pin on every target (default: DEFAULT_TARGETS).

    Progress goes to stderr; rendering is the caller's (``ftlab.report.readiness_table``, or ``to_json``).
    Raises FtlabError subclasses on bad input, an unreachable index or a failed resolution.
    """
    from ftlab.lanes.subjects import read_subjects
    from ftlab.progress import Reporter

    wanted = read_subjects(subjects, requirement_files)
    parsed_targets = parse_targets(targets)
    # The index as given, else as uv or pip is configured; the lock and the index reads use the same.
    settings = index_settings(index_url=index_url or wanted.index_url, extra_index_urls=wanted.extra_index_urls)
    reporter = Reporter(quiet=quiet)
    for option in wanted.ignored_options:
        reporter.note(f"note: ignoring requirements-file option {option}")
    # The lock is universal from the oldest target's Python on, so markers can tell the targets apart.
    python_version = "{}.{}".format(*min(t.version for t in parsed_targets))
    reporter.note(f"resolving {len(wanted.subjects)} subject(s) for Python {python_version}+ with uv on "
                  f"{mask_url(settings.index_url)} (from: {settings.index_source})")
    lock = resolve(wanted.subjects, python_version=python_version, settings=settings)
    guard = threading.Lock()

    def done(rel: Release) -> None:
        with guard:
            reporter.advance(f"{rel.name} {rel.version}")

    with reporter.stage("reading the index", total=sum(p.version is not None for p in lock.pins)):
        return check_readiness(lock, parsed_targets, IndexClient(settings=settings), on_done=done)
