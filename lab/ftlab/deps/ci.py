"""CI for a maintainer's project: the playbook's GitHub Actions matrix, and cibuildwheel's section.

Pure text builders (``github_workflow``, ``constraints_text``, ``cibuildwheel_section``) plus the two
steps that ask tools: ``resolve_toolchain`` (uv, through the run's own resolver, for the newest
toolchain versions) and ``build_identifiers`` (cibuildwheel itself, so the identifiers are exactly
what it will build).

The workflow's matrix, as the playbook sets it:

- python: the production version, 3.13, 3.14 and 3.14t (``--python`` replaces the list);
- arch: x64 and arm64 (GitHub's ``ubuntu-24.04`` and ``ubuntu-24.04-arm`` runners);
- install: ``normal`` and ``wheels-only`` (pip's ``--only-binary=:all:``: every dependency from a wheel).

Each job pins the build toolchain (pip, setuptools, wheel, build, packaging) with one constraints file
that the builds' isolated environments read too (``PIP_CONSTRAINT``), builds the project's wheel,
installs it, runs ``ftlab check --installed`` on that interpreter, puts the Markdown report in the
job summary and publishes the JUnit report as test results.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ftlab.errors import FtlabError, UsageError

#: The playbook's matrix. The production version is the first python; 3.12 until a team says otherwise.
DEFAULT_PRODUCTION = "3.12"
DEFAULT_PYTHONS = ("3.13", "3.14", "3.14t")
ARCHS = {"x64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"}
INSTALL_MODES = ("normal", "wheels-only")
#: The build toolchain every job installs from the same pins.
TOOLCHAIN = ("pip", "setuptools", "wheel", "build", "packaging")
CONSTRAINTS_PATH = ".github/ftlab-constraints.txt"
WORKFLOW_PATH = ".github/workflows/ftlab.yml"
#: What cibuildwheel builds for the check: the GIL and free-threaded builds of today's CPython.
CIBW_BUILD = ("cp314-*", "cp314t-*")
#: Platforms and architectures whose identifiers are listed (cibuildwheel prints them without docker).
CIBW_PLATFORMS = {"linux": "x86_64,aarch64", "macos": "x86_64,arm64", "windows": "AMD64,ARM64"}
#: Asking cibuildwheel for identifiers reads configuration only; seconds, even on a slow disk.
CIBW_TIMEOUT_S = 120.0

_PYTHON_SPEC = re.compile(r"^3\.\d{1,2}t?$")


def parse_pythons(text: str | None, production: str = DEFAULT_PRODUCTION) -> tuple[str, ...]:
    """``--python 3.12,3.13,3.14,3.14t`` (default: the production version, then DEFAULT_PYTHONS)."""
    items = [p.strip() for p in text.split(",") if p.strip()] if text else [production, *DEFAULT_PYTHONS]
    bad = [p for p in items if not _PYTHON_SPEC.match(p)]
    if bad or not items:
        raise UsageError(f"python version {bad[0] if bad else text!r} is not like 3.13 or 3.14t; "
                         "e.g. --python 3.12,3.13,3.14,3.14t")
    return tuple(dict.fromkeys(items))


def parse_archs(text: str | None) -> tuple[str, ...]:
    items = [a.strip() for a in text.split(",") if a.strip()] if text else list(ARCHS)
    bad = [a for a in items if a not in ARCHS]
    if bad or not items:
        raise UsageError(f"arch {bad[0] if bad else text!r} is not one of {', '.join(ARCHS)}; e.g. --arch x64,arm64")
    return tuple(dict.fromkeys(items))


def parse_pins(pins: Sequence[str]) -> dict[str, str]:
    """``--pin pip==25.3`` -> {"pip": "25.3"}; only the toolchain's packages."""
    out = {}
    for pin in pins:
        name, sep, version = pin.partition("==")
        name = name.strip().lower()
        if not sep or not version.strip() or name not in TOOLCHAIN:
            raise UsageError(f"--pin {pin!r} is not NAME==VERSION for one of {', '.join(TOOLCHAIN)}; "
                             "e.g. --pin setuptools==80.9.0")
        out[name] = version.strip()
    return out


def resolve_toolchain(pins: Mapping[str, str], *, python_version: str, index_url: str | None = None) -> dict[str, str]:
    """The toolchain's versions: those pinned, the rest resolved with uv from the configured index for
    the oldest Python of the matrix (one resolution, so they fit together)."""
    missing = [n for n in TOOLCHAIN if n not in pins]
    if not missing:
        return {n: pins[n] for n in TOOLCHAIN}
    from ftlab.deps.lock import resolve
    from ftlab.lanes.subjects import parse_subjects

    wanted = [f"{n}=={pins[n]}" if n in pins else n for n in TOOLCHAIN]
    lock = resolve(parse_subjects(wanted), index_url=index_url, python_version=python_version)
    versions = {p.name: p.version for p in lock.pins if p.version}
    return {n: pins.get(n) or versions[n] for n in TOOLCHAIN}


def constraints_text(versions: Mapping[str, str]) -> str:
    lines = ["# The build toolchain of every ftlab CI job (and of the builds' isolated environments, through",
             "# PIP_CONSTRAINT). Written by 'ftlab ci github'; change the pins here, in one place."]
    return "\n".join(lines + [f"{n}=={versions[n]}" for n in TOOLCHAIN]) + "\n"


def _yaml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def github_workflow(distribution: str, *, pythons: Sequence[str], archs: Sequence[str],
                    modes: Sequence[str] = INSTALL_MODES, budget_s: float | None = None,
                    constraints_path: str = CONSTRAINTS_PATH) -> str:
    """The workflow YAML (JSON-compatible scalars, so no YAML library is needed to write it)."""
    include = "\n".join(f"          - arch: {a}\n            runner: {ARCHS[a]}" for a in archs)
    budget = f" --budget {budget_s:g}" if budget_s else ""
    return f"""\
# Written by 'ftlab ci github': the free-threading playbook's matrix for {distribution}.
# Every job builds the project's wheel with the pinned toolchain, installs it (normally, or with every
# dependency from a wheel), then 'ftlab check --installed' imports it and races its API from threads.
name: ftlab

on:
  push:
  pull_request:
  workflow_dispatch:

permissions:
  contents: read
  checks: write

jobs:
  ftlab:
    name: ${{{{ matrix.python }}}} ${{{{ matrix.arch }}}} ${{{{ matrix.install }}}}
    runs-on: ${{{{ matrix.runner }}}}
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix:
        python: {_yaml_list(pythons)}
        arch: {_yaml_list(archs)}
        install: {_yaml_list(modes)}
        include:
{include}
    env:
      PIP_CONSTRAINT: {constraints_path}
      PIP_DISABLE_PIP_VERSION_CHECK: "1"
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python }}}}
          architecture: ${{{{ matrix.arch }}}}
          allow-prereleases: true
      - name: Build toolchain (pinned)
        run: python -m pip install -c {constraints_path} {" ".join(TOOLCHAIN)}
      - name: Build the wheel
        run: python -m build --wheel --outdir dist .
      - name: Install (${{{{ matrix.install }}}})
        run: python -m pip install ${{{{ matrix.install == 'wheels-only' && '--only-binary=:all:' || '' }}}} dist/*.whl
      - name: Install ftlab
        run: python -m pip install ftlab
      - name: ftlab check
        run: python -m ftlab check --installed {distribution} --project .{budget} --report-dir ftlab-reports
      - name: Report in the job summary
        if: always()
        run: cat ftlab-reports/*.md >> "$GITHUB_STEP_SUMMARY" || true
      - name: Test results
        if: always()
        uses: mikepenz/action-junit-report@v5
        with:
          report_paths: ftlab-reports/*.junit.xml
          check_name: ftlab ${{{{ matrix.python }}}} ${{{{ matrix.arch }}}} ${{{{ matrix.install }}}}
      - name: Reports and repro scripts
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: ftlab-${{{{ matrix.python }}}}-${{{{ matrix.arch }}}}-${{{{ matrix.install }}}}
          path: |
            ftlab-reports
            .ftlab/check
          if-no-files-found: ignore
"""


def cibuildwheel_section(distribution: str, *, build: Sequence[str] = CIBW_BUILD) -> str:
    """The ``[tool.cibuildwheel]`` section: build cp314 and cp314t, then check every built wheel."""
    return (
        "[tool.cibuildwheel]\n"
        f"build = {_yaml_list(build)}\n"
        "# Each built wheel is installed in a fresh environment, cp314t included; ftlab imports it there and\n"
        "# races its API (the probes of [tool.ftlab] in {project}, else the auto-probe) from threads.\n"
        'test-requires = ["ftlab"]\n'
        f'test-command = "ftlab check --installed {distribution} --project {{project}}"\n'
    )


def _cibuildwheel() -> list[str]:
    import importlib.util
    import shutil

    if importlib.util.find_spec("cibuildwheel") is not None:
        return [sys.executable, "-m", "cibuildwheel"]
    found = shutil.which("cibuildwheel")
    if not found:
        raise UsageError("cibuildwheel is not installed; install it with 'python -m pip install cibuildwheel'")
    return [found]


def build_identifiers(project: Path, section: str, platforms: Mapping[str, str] = CIBW_PLATFORMS) -> list[str]:
    """What cibuildwheel would build with ``section`` for ``project``: ``cibuildwheel
    --print-build-identifiers`` per platform (no container needed). It reads configuration only."""
    from ftlab.sandbox import process as sandbox

    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ftlab-cibw-") as tmp:
        config = Path(tmp) / "pyproject.toml"
        config.write_text(section, encoding="utf-8")
        for platform, archs in platforms.items():
            cmd = [*_cibuildwheel(), "--print-build-identifiers", "--platform", platform, "--archs", archs,
                   "--config-file", str(config), str(project)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CIBW_TIMEOUT_S,
                                      env=sandbox.base_env(home=tmp), stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise FtlabError(f"cibuildwheel --print-build-identifiers did not answer in {CIBW_TIMEOUT_S:.0f} s "
                                 f"for {platform}") from None
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                raise FtlabError(f"cibuildwheel --print-build-identifiers failed for {platform} "
                                 f"(exit {proc.returncode}): {tail}")
            out += [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    return out
