"""Build small, real, installable distributions for the local test index.

Wheels are written directly as zip files with a correct METADATA, WHEEL and RECORD (sha256 and size per
file), so they install with uv and pip. Their content is pure Python even when the filename carries a
platform tag: installers trust the tag, which is what the readiness and install checks look at.

Sdists carry an in-tree PEP 517 backend (``backend-path``) with ``requires = []``, so they build inside an
isolated build environment without fetching setuptools from any index. Three kinds:

- ``"builds"``: the backend writes a pure wheel;
- ``"setup-py-fails"``: the backend runs ``setup.py``, which raises (a broken build script);
- ``"missing-header"``: the backend compiles ``ext.c``, which includes ``<nonexistent_ftlab.h>``, with the
  system C compiler: a real compiler error on stderr;
- ``"slow-build"``: the backend's build takes ten minutes (a big C++ build, as grpcio's on 3.14t).

``write_catalogue(dest)`` writes the standard set every index test uses; ``CATALOGUE`` says what is in it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import textwrap
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

FT_STABLE = "Programming Language :: Python :: Free Threading :: 3 - Stable"

#: Platform tags for this machine's GIL lanes (3.11-3.13 on Linux x86_64), so installs work here.
LOCAL_GIL_TAGS = tuple(f"cp3{m}-cp3{m}-manylinux_2_17_x86_64.manylinux2014_x86_64" for m in (11, 12, 13))


def dist_name(name: str) -> str:
    """The name as it appears in a filename (PEP 427 / PEP 625)."""
    return canonicalize_name(name).replace("-", "_")


def metadata_text(
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    classifiers: Sequence[str] = (),
    requires_python: str | None = None,
    metadata_version: str = "2.2",
) -> str:
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines += [f"Classifier: {c}" for c in classifiers]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n\n"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_bytes(name: str, version: str, tag: str, metadata: str, modules: dict[str, str]) -> bytes:
    """A complete wheel archive; ``modules`` maps archive paths to source text."""
    info = f"{dist_name(name)}-{version}.dist-info"
    pure = tag.endswith("-none-any")
    wheel_meta = (
        "Wheel-Version: 1.0\nGenerator: ftlab-tests\n"
        f"Root-Is-Purelib: {'true' if pure else 'false'}\n"
        + "".join(f"Tag: {t}\n" for t in _expand_tag(tag))
    )
    files = {**{p: s.encode() for p, s in modules.items()}}
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = wheel_meta.encode()
    return zip_wheel(files, info)


def zip_wheel(files: dict[str, bytes], info: str) -> bytes:
    """The wheel archive of ``files`` (archive path -> content) with its RECORD added under ``info``."""
    files = dict(files)
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _expand_tag(tag: str) -> list[str]:
    py, abi, plats = tag.split("-")
    return [f"{p}-{a}-{pl}" for p in py.split(".") for a in abi.split(".") for pl in plats.split(".")]


def _default_modules(name: str, version: str) -> dict[str, str]:
    pkg = dist_name(name)
    return {f"{pkg}/__init__.py": f'"""ftlab test distribution {name}."""\n__version__ = "{version}"\n'}


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    tag: str = "py3-none-any",
    *,
    requires: Sequence[str] = (),
    classifiers: Sequence[str] = (),
    requires_python: str | None = None,
) -> Path:
    meta = metadata_text(name, version, requires=requires, classifiers=classifiers, requires_python=requires_python)
    path = dest / f"{dist_name(name)}-{version}-{tag}.whl"
    path.write_bytes(wheel_bytes(name, version, tag, meta, _default_modules(name, version)))
    return path


# The in-tree backend. It runs inside the installer's build environment, on any lane Python (3.10+).
_BACKEND = '''
"""In-tree PEP 517 backend of an ftlab test sdist (see tests/support/dists.py)."""
import base64, hashlib, os, runpy, subprocess, sys, sysconfig, tempfile, zipfile

KIND = {kind!r}
SLOW_BUILD_S = {slow_build_s!r}
NAME = {name!r}
VERSION = {version!r}
DIST = {dist!r}
METADATA = {metadata!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _fail_if_broken():
    if KIND == "slow-build":
        import time
        time.sleep(600)
    if KIND == "slow-but-builds":
        import time
        time.sleep(SLOW_BUILD_S)
    if KIND == "setup-py-fails":
        runpy.run_path("setup.py", run_name="__main__")
    if KIND == "missing-header":
        cc = (sysconfig.get_config_var("CC") or "cc").split()
        out = os.path.join(tempfile.mkdtemp(), "ext.o")
        proc = subprocess.run(cc + ["-c", "ext.c", "-o", out, "-I" + sysconfig.get_paths()["include"]],
                              capture_output=True, text=True)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError("command '%s' failed with exit code %d" % (cc[0], proc.returncode))


def _record(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = "%s-%s.dist-info" % (DIST, VERSION)
    os.makedirs(os.path.join(metadata_directory, info))
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as f:
        f.write(METADATA)
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _fail_if_broken()
    info = "%s-%s.dist-info" % (DIST, VERSION)
    files = {{}}
    for root, _, names in os.walk(DIST):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[p.replace(os.sep, "/")] = f.read()
    files[info + "/METADATA"] = METADATA.encode()
    files[info + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: ftlab-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = [_record(p, d) for p, d in files.items()] + [info + "/RECORD,,"]
    files[info + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = "%s-%s-py3-none-any.whl" % (DIST, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return filename
'''

_SETUP_PY_FAILS = 'raise RuntimeError("ftlab fixture: setup.py fails on purpose")\n'
_MISSING_HEADER_C = '#include <Python.h>\n#include <nonexistent_ftlab.h>\n\nint ftlab_fixture(void) { return 0; }\n'
SDIST_KINDS = ("builds", "setup-py-fails", "missing-header", "slow-build", "slow-but-builds")
#: A "slow-but-builds" sdist's build: long next to a wheel install (a second), short for a test.
SLOW_BUILD_S = 20


def build_sdist(
    dest: Path,
    name: str,
    version: str,
    *,
    kind: str = "builds",
    requires: Sequence[str] = (),
    classifiers: Sequence[str] = (),
) -> Path:
    if kind not in SDIST_KINDS:
        raise ValueError(f"sdist kind {kind!r}; expected one of {SDIST_KINDS}")
    dist = dist_name(name)
    meta = metadata_text(name, version, requires=requires, classifiers=classifiers)
    root = f"{dist}-{version}"
    backend = _BACKEND.format(kind=kind, name=name, version=version, dist=dist, metadata=meta, slow_build_s=SLOW_BUILD_S)
    pyproject = textwrap.dedent(f"""\
        [build-system]
        requires = []
        build-backend = "ftlab_backend"
        backend-path = ["."]

        [project]
        name = "{name}"
        version = "{version}"
        dependencies = {list(requires)!r}
        """).replace("'", '"')
    members = {
        "PKG-INFO": meta,
        "pyproject.toml": pyproject,
        "ftlab_backend.py": backend,
        f"{dist}/__init__.py": _default_modules(name, version)[f"{dist}/__init__.py"],
    }
    if kind == "setup-py-fails":
        members["setup.py"] = _SETUP_PY_FAILS
    if kind == "missing-header":
        members["ext.c"] = _MISSING_HEADER_C
    path = dest / f"{root}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for rel, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{rel}")
            info.size, info.mtime, info.mode = len(data), 1704067200, 0o644
            tf.addfile(info, io.BytesIO(data))
    return path


def _platform_wheels(py: str, abi: str, plats: Iterable[str]) -> list[str]:
    return [f"{py}-{abi}-{p}" for p in plats]


_LINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"
_ALL_PLATS = (
    _LINUX,
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
)

#: name -> version -> what it is; the tests read expectations from here, not from literals far away.
CATALOGUE: dict[str, dict[str, dict]] = {
    # cp314t and cp314 wheels on every default platform, GIL wheels for this machine, an sdist, and the
    # Free Threading classifier (read back through PEP 658 metadata).
    "ft-native": {"1.0": {
        "wheels": [*_platform_wheels("cp314", "cp314t", _ALL_PLATS), *_platform_wheels("cp314", "cp314", _ALL_PLATS),
                   *LOCAL_GIL_TAGS],
        "sdist": "builds", "classifiers": [FT_STABLE]}},
    # abi3 only: a wheel for cp314 (abi3 counts), nothing for cp314t (abi3 must not count), no sdist.
    "abi3-only": {"1.0": {"wheels": _platform_wheels("cp311", "abi3", _ALL_PLATS)}},
    # abi3 plus an sdist: cp314t falls back to building.
    "abi3-sdist": {"1.0": {"wheels": _platform_wheels("cp311", "abi3", _ALL_PLATS), "sdist": "builds"}},
    # pure everywhere; 0.9 is older, 1.1 is yanked, so resolution picks 1.0.
    "pure-pkg": {
        "0.9": {"wheels": ["py3-none-any"]},
        "1.0": {"wheels": ["py3-none-any"], "sdist": "builds"},
        "1.1": {"wheels": ["py3-none-any"], "yanked": "broken release"},
    },
    "sdist-only": {"1.0": {"sdist": "builds"}},
    # A cp314t wheel for Windows only: every other target has nothing.
    "win-only": {"1.0": {"wheels": ["cp314-cp314t-win_amd64", "cp314-cp314-win_amd64"]}},
    # A dependency chain: chain-a -> chain-b -> chain-c.
    "chain-a": {"1.0": {"wheels": ["py3-none-any"], "requires": ["chain-b>=1"]}},
    "chain-b": {"1.0": {"wheels": ["py3-none-any"], "requires": ["chain-c"]},
                "2.0": {"wheels": ["py3-none-any"], "requires": ["chain-c"]}},
    "chain-c": {"1.0": {"wheels": ["py3-none-any", *LOCAL_GIL_TAGS]}},
    # Needs chain-c<1, which does not exist: unsatisfiable with anything.
    "needs-old-c": {"1.0": {"wheels": ["py3-none-any"], "requires": ["chain-c<1"]}},
    # Only for Windows, through a marker in the requirement that pulls it in.
    "with-win-dep": {"1.0": {"wheels": ["py3-none-any"], "requires": ["win-only ; sys_platform == 'win32'"]}},
    "build-fails": {"1.0": {"sdist": "setup-py-fails"}},
    "needs-header": {"1.0": {"sdist": "missing-header"}},
    "slow-build": {"1.0": {"sdist": "slow-build"}},
}


def write_catalogue(dest: Path) -> Path:
    """Write every distribution of ``CATALOGUE`` into ``dest`` (flat); returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, versions in CATALOGUE.items():
        for version, spec in versions.items():
            common = {"requires": spec.get("requires", ()), "classifiers": spec.get("classifiers", ())}
            for tag in spec.get("wheels", ()):
                build_wheel(dest, name, version, tag, **common)
            if "sdist" in spec:
                build_sdist(dest, name, version, kind=spec["sdist"], **common)
    return dest


def yanked_files(dest: Path) -> dict[str, str]:
    """filename -> yank reason, for the index server."""
    out = {}
    for name, versions in CATALOGUE.items():
        for version, spec in versions.items():
            if "yanked" in spec:
                prefix = f"{dist_name(name)}-{version}"
                out.update({p.name: spec["yanked"] for p in dest.iterdir() if p.name.startswith(prefix + "-")
                            or p.name == prefix + ".tar.gz"})
    return out
