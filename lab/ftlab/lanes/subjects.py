"""Subjects from the command line: requirement strings, requirements files (``-r``) and project directories.

A requirements file is read the way pip reads one, as far as ftlab needs: comments, ``\\`` continuations,
``${VAR}`` expansion, nested ``-r``/``-c``, ``-e PATH``, per-requirement ``--hash`` options (as pip-compile
and ``uv pip compile --generate-hashes`` write them), and global options. ``--index-url`` and
``--extra-index-url`` are kept (the lock uses the first one); other options are noted, not applied.
"""

from __future__ import annotations

import configparser
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ftlab.errors import UsageError
from ftlab.records import Subject

__all__ = ["Subject", "SubjectSet", "parse_requirement", "parse_subject", "parse_subjects", "read_subjects"]

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
#: pip's own test for "this argument is a path, not a name": a separator or a leading dot.
_PATH_START = (".", "~", "/", "file:")


@dataclass(frozen=True, kw_only=True)
class SubjectSet:
    """What the command line and its requirements files ask for."""

    subjects: tuple[Subject, ...]
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    #: Options seen in requirements files that ftlab does not apply ("--pre (reqs.txt:3)"), for a note.
    ignored_options: tuple[str, ...] = ()
    #: Pins' hashes from requirements files, by canonical name (informational: the lock resolves anew).
    hashes: tuple[tuple[str, tuple[str, ...]], ...] = ()


#: Arbitrary equality with nothing after it ('foo===', 'foo===,<2'), in the part before any marker.
_BARE_ARBITRARY = re.compile(r"===\s*(?:,|$)")


def parse_requirement(text: str, where: str = "") -> Subject:
    """One PEP 508 requirement; ``where`` ("reqs.txt line 3") goes into the error message."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        # packaging 26.4 rejects 'foo===' itself ("Expected semicolon ... or end"), where earlier releases
        # read it as arbitrary equality with nothing: the same reason on every release.
        bare = _BARE_ARBITRARY.search(text.split(";", 1)[0])
        reason = "'===' is followed by no version" if bare else str(exc).splitlines()[0]
    else:
        # packaging reads 'foo===' as arbitrary equality with nothing; no installer will.
        empty = next((spec.operator for spec in req.specifier if not spec.version), None)
        if empty is None:
            return Subject(name=canonicalize_name(req.name), kind="requirement", spec=str(req))
        reason = f"'{empty}' is followed by no version"
    place = f" ({where})" if where else ""
    raise UsageError(
        f"invalid requirement {text!r}{place}: {reason}; write it as pip does, e.g. 'numpy', "
        "'pyyaml==6.0.3' or 'requests>=2,<3'"
    )


def _looks_like_path(text: str) -> bool:
    return text.startswith(_PATH_START) or os.sep in text or (os.altsep is not None and os.altsep in text)


def _project_name(directory: Path) -> str:
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        try:
            name = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {pyproject}: {exc}; fix the file or pass a requirement instead") from None
        if isinstance(name, str) and name:
            return canonicalize_name(name)
    setup_cfg = directory / "setup.cfg"
    if setup_cfg.is_file():
        cfg = configparser.ConfigParser(interpolation=None)
        try:
            cfg.read(setup_cfg, encoding="utf-8")
            name = cfg.get("metadata", "name", fallback="")
        except configparser.Error:
            name = ""
        if name:
            return canonicalize_name(name)
    # setup.py-only projects: the directory name is the best guess before building; the lock has the truth.
    return canonicalize_name(directory.resolve().name)


def parse_project(text: str, base: Path | None = None, where: str = "") -> Subject:
    """A local project directory (one with pyproject.toml or setup.py)."""
    raw = text.removeprefix("file://")
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    place = f" ({where})" if where else ""
    if not path.exists():
        raise UsageError(f"project path {text!r}{place} does not exist; pass a project directory or a requirement")
    if not path.is_dir():
        raise UsageError(
            f"{text!r}{place} is a file, not a project directory; pass its directory, or use -r for a requirements file"
        )
    if not ((path / "pyproject.toml").is_file() or (path / "setup.py").is_file()):
        raise UsageError(
            f"{text!r}{place} is a directory but not a Python project (no pyproject.toml or setup.py); "
            "pass a project directory or a requirement like 'numpy'"
        )
    path = path.resolve()
    subject = Subject(name=_project_name(path), kind="project", spec=str(path), path=str(path))
    declared_probes(subject)  # a malformed [tool.ftlab] table is bad input: say so before anything runs
    return subject


_PROBE_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def declared_probes(subject) -> list[str]:
    """Probes a project ships for itself, declared in its pyproject.toml::

        [tool.ftlab]
        probes = ["mypkg.probes:CounterProbe"]

    They import from the installed package inside the lane, like any probe; a maintainer keeps them
    next to the code they exercise."""
    if subject.kind != "project" or not subject.path:
        return []
    pyproject = Path(subject.path) / "pyproject.toml"
    try:
        doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {pyproject}: {exc}; fix the file or drop the subject") from None
    probes = doc.get("tool", {}).get("ftlab", {}).get("probes", [])
    bad = [p for p in probes if not isinstance(p, str) or not _PROBE_PATH.match(p)]
    if not isinstance(probes, list) or bad:
        raise UsageError(f"{pyproject}: [tool.ftlab] probes must be a list of 'module.path:ClassName' strings "
                         f"(got {bad[0] if bad else probes!r})")
    return probes


#: The subject that means "the interpreter's standard library": nothing to install, its own probes.
STDLIB = "stdlib"


def parse_subject(text: str, base: Path | None = None, where: str = "") -> Subject:
    """A requirement string, or a path to a local project when it looks like a path (as pip decides).
    `stdlib` is the standard library (PyPI's `stdlib` placeholder package is of no interest to a lab)."""
    text = text.strip()
    if not text:
        raise UsageError(f"empty subject{f' ({where})' if where else ''}; pass a requirement like 'numpy'")
    if text == STDLIB:
        return Subject(name=STDLIB, kind="stdlib", spec=STDLIB)
    if _looks_like_path(text) and " @ " not in text:
        return parse_project(text, base, where)
    return parse_requirement(text, where)


@dataclass
class _FileReader:
    """Accumulates what nested requirements files say; one per read_subjects call."""

    subjects: list[Subject] = field(default_factory=list)
    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    hashes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def read(self, path: Path, stack: tuple[Path, ...] = ()) -> None:
        path = path.resolve() if path.exists() else path
        if path in stack:
            chain = " -> ".join(p.name for p in (*stack, path))
            raise UsageError(f"requirements files include each other ({chain}); remove one of the -r lines")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"requirements file '{path}' not found; check the path given to -r") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read requirements file '{path}': {exc}; check the path given to -r") from None
        for lineno, line in _logical_lines(text):
            self._line(line, path, lineno, (*stack, path))

    def _line(self, line: str, path: Path, lineno: int, stack: tuple[Path, ...]) -> None:
        where = f"{path.name} line {lineno}"
        if line.startswith("-"):
            return self._option(line, path, where, stack)
        req, _, opts = _split_options(line)
        subject = parse_subject(req, path.parent, where)
        hashes = tuple(v for k, v in _options(opts) if k == "--hash")
        if hashes:
            self.hashes.append((subject.name, hashes))
        self.subjects.append(subject)

    def _option(self, line: str, path: Path, where: str, stack: tuple[Path, ...]) -> None:
        (name, value), *_ = _options(line) or [(line, "")]
        if name in ("-r", "--requirement"):
            target = Path(os.path.expanduser(value))
            return self.read(target if target.is_absolute() else path.parent / target, stack)
        if name in ("-e", "--editable"):
            self.subjects.append(parse_subject(value, path.parent, where))
        elif name in ("-i", "--index-url"):
            self.index_url = value
        elif name == "--extra-index-url":
            self.extra_index_urls.append(value)
        else:
            self.ignored.append(f"{line} ({where})")


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(first line number, line) with comments removed and ``\\`` continuations joined, as pip does."""
    buf, start = "", 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw)
        if not buf:
            start = lineno
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        line = _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), (buf + line).strip())
        buf = ""
        if line:
            yield start, line
    if buf.strip():
        yield start, buf.strip()


def _split_options(line: str) -> tuple[str, str, str]:
    """'pkg==1 ; marker --hash=sha256:x' -> ('pkg==1 ; marker', ' ', '--hash=sha256:x'): pip splits here too."""
    tokens = line.split(" ")
    for i, tok in enumerate(tokens):
        if tok.startswith("-"):
            return " ".join(tokens[:i]).strip(), " ", " ".join(tokens[i:])
    return line, "", ""


def _options(text: str) -> list[tuple[str, str]]:
    """'--hash=a --hash b -r x' -> [('--hash','a'), ('--hash','b'), ('-r','x')]."""
    out: list[tuple[str, str]] = []
    tokens = text.split()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if "=" in tok and tok.startswith("--"):
            name, value = tok.split("=", 1)
        elif tok.startswith("-") and i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
            name, value = tok, tokens[i + 1]
            i += 1
        elif tok.startswith("-") and not tok.startswith("--") and len(tok) > 2:
            name, value = tok[:2], tok[2:]  # -rreqs.txt
        else:
            name, value = tok, ""
        out.append((name, value))
        i += 1
    return out


def read_subjects(names: Sequence[str], files: Sequence[str | os.PathLike[str]] = ()) -> SubjectSet:
    """Subjects from command-line arguments and ``-r`` files, in order, first occurrence of a name kept."""
    reader = _FileReader(subjects=[parse_subject(n, where="command line") for n in names])
    for f in files:
        reader.read(Path(f))
    seen: dict[tuple[str, str], Subject] = {}
    for s in reader.subjects:
        seen.setdefault((s.name, s.spec), s)
    if not seen:
        raise UsageError("no subjects given; pass requirements (numpy pyyaml==6.0.3), a project directory or -r FILE")
    return SubjectSet(
        subjects=tuple(seen.values()),
        index_url=reader.index_url,
        extra_index_urls=tuple(reader.extra_index_urls),
        ignored_options=tuple(reader.ignored),
        hashes=tuple(reader.hashes),
    )


def parse_subjects(names: Sequence[str], files: Sequence[str | os.PathLike[str]] = ()) -> tuple[Subject, ...]:
    """Just the subjects of :func:`read_subjects` (what ``ftlab run`` plans with)."""
    return read_subjects(names, files).subjects
