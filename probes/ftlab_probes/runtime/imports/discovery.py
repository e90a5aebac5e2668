"""Which modules to import: the modules of an installed distribution found from its metadata (RECORD,
``top_level.txt``, or its name) without importing anything, the exclusions (tests, vendored copies,
``__main__``) and the module budget."""

import os
import re
from importlib import metadata as importlib_metadata

from ftlab_probes.runtime.imports.elf import is_extension_module
from ftlab_probes.runtime.imports.limits import LIST_CAP

#: Every module of the largest packages measured (pandas 339 after exclusions, sqlalchemy 218) and
#: then some; the cap guards surveys against packages that generate thousands of modules.
MODULE_BUDGET = 2000

TEST_PARTS = frozenset(("tests", "test", "testing", "conftest"))
VENDORED_PARTS = frozenset(("_vendor", "_vendored", "vendored", "extern", "_extern"))
#: Importing ``pkg.__main__`` runs the package's command line; editable-install finders are not the
#: package's code.
NEVER_PARTS = frozenset(("__main__",))


#: Which file the import system loads when one name has several: a package directory wins, then an
#: extension over a ``.py`` of the same stem (FileFinder tries extension loaders first; lxml ships
#: ``sax.py`` next to the compiled ``sax.cpython-314-x86_64-linux-gnu.so``).
_SHADOWING = ("module", "extension", "package")


def modules_from_files(paths, ext_suffixes):
    """Modules provided by files (paths relative to site-packages, as in RECORD).

    Returns ``(modules, namespaces)``: ``{name: "package"|"module"|"extension"}`` and the sorted names
    of namespace packages (directories holding modules but no ``__init__``). Files that cannot be
    imported under a valid name are ignored: scripts outside site-packages (``../../bin``),
    metadata, bytecode caches, and extension files built for another interpreter
    (``x.cpython-311-x86_64-linux-gnu.so`` on 3.13 leaves a stem that is not an identifier).
    """
    files, namespaces = module_files(paths, ext_suffixes)
    return {name: kind for name, (kind, _) in files.items()}, namespaces


def module_files(paths, ext_suffixes):
    """modules_from_files() with the file each module is loaded from: ``({name: (kind, path)},
    namespaces)``."""
    suffixes = sorted(set(ext_suffixes), key=len, reverse=True)
    found = {}
    for path in paths:
        parts = str(path).replace("\\", "/").split("/")
        if any(p in ("", ".", "..") for p in parts) or "__pycache__" in parts:
            continue
        if parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        filename = parts[-1]
        if filename.endswith(".py"):
            stem, kind = filename[:-3], "module"
        else:
            suffix = next((s for s in suffixes if filename.endswith(s)), None)
            if suffix is None:
                continue
            stem, kind = filename[: -len(suffix)], "extension"
        if stem == "__init__":
            name_parts, kind = parts[:-1], "package"
        else:
            name_parts = [*parts[:-1], stem]
        if not name_parts or not all(p.isidentifier() for p in name_parts):
            continue
        if name_parts[0].startswith("__editable__"):
            continue
        name = ".".join(name_parts)
        if name not in found or _SHADOWING.index(kind) > _SHADOWING.index(found[name][0]):
            found[name] = (kind, path)
    namespaces = set()
    for name in found:
        parts = name.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            if prefix not in found:
                namespaces.add(prefix)
    return found, sorted(namespaces)


def exclusion_reason(name, exclude_tests=True, exclude_vendored=True):
    """Why ``name`` is not imported, or None."""
    parts = name.split(".")
    if NEVER_PARTS.intersection(parts):
        return "__main__"
    if exclude_tests and TEST_PARTS.intersection(parts):
        return "tests"
    if exclude_vendored and VENDORED_PARTS.intersection(parts):
        return "vendored"
    return None


def plain_libraries(files, locate):
    """Names of the extension files in ``files`` (module_files()'s) that are plain shared libraries: ELF
    files defining no ``PyInit_<name>``, loaded by their package with ctypes or cffi, never importable.
    ``locate`` turns a listed path into one on disk. A file this cannot read (Mach-O, PE, stripped of
    its sections) stays an extension and is imported."""
    return sorted(
        name
        for name, (kind, path) in files.items()
        if kind == "extension" and is_extension_module(locate(path), name) is False
    )


def priority_order(modules):
    """Top-level names first, then extension modules (where GIL findings live), then by depth and name."""

    def key(item):
        name, kind = item
        depth = name.count(".")
        return (0 if depth == 0 else 1 if kind == "extension" else 2, depth, name)

    return sorted(modules.items(), key=key)


def select_modules(modules, exclude_tests=True, exclude_vendored=True, budget=MODULE_BUDGET):
    """Apply the exclusions and the budget to ``{name: kind}``.

    Returns ``(selected [(name, kind)], excluded [{"module", "reason"}], dropped [name])``.
    """
    selected, excluded = [], []
    for name, kind in priority_order(modules):
        reason = "not-a-module" if kind == "library" else exclusion_reason(name, exclude_tests, exclude_vendored)
        if reason:
            excluded.append({"module": name, "reason": reason})
        else:
            selected.append((name, kind))
    dropped = [name for name, _ in selected[budget:]] if budget is not None else []
    if budget is not None:
        selected = selected[:budget]
    return selected, excluded, dropped


def _find_distribution(name):
    try:
        return importlib_metadata.distribution(name)
    except importlib_metadata.PackageNotFoundError:
        pass
    # Older importlib.metadata compares names less leniently than installers write them.
    wanted = _normalize(name)
    for dist in importlib_metadata.distributions():
        if _normalize(dist.metadata["Name"] or "") == wanted:
            return dist
    return None


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _walk_top_level(top, ext_suffixes):
    """The files of top-level module ``top``, found without importing it: ``{relative path: path}``.

    ``importlib.util.find_spec`` on a top-level name runs finders only, never the module.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return {}
    if spec is None:
        return {}
    paths = {}
    if spec.submodule_search_locations is not None:
        for location in spec.submodule_search_locations:
            for dirpath, dirnames, filenames in os.walk(location):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                rel = os.path.relpath(dirpath, location)
                prefix = top if rel == "." else top + "/" + rel.replace(os.sep, "/")
                paths.update((prefix + "/" + f, os.path.join(dirpath, f)) for f in filenames)
    elif spec.origin and os.path.isfile(spec.origin):
        filename = os.path.basename(spec.origin)
        if filename.endswith(".py") or filename.endswith(tuple(ext_suffixes)):
            suffix = ".py" if filename.endswith(".py") else filename[len(top) :]
            paths[top + suffix] = spec.origin
    return paths


def discover_distribution(name, ext_suffixes):
    """Modules of one installed distribution: ``{"name", "found", "version", "source", "modules",
    "namespaces"}``. ``source`` says where the names came from: ``RECORD`` (the files
    installed), ``top_level.txt`` or ``name`` (the distribution name as an import name, the last
    resort, e.g. for editable installs whose RECORD holds only a ``.pth``). ``modules`` maps each
    name to its kind; a plain shared library (plain_libraries()) is kind ``library``, never imported."""
    info = {"name": name, "found": False, "version": None, "source": None, "modules": {}, "namespaces": []}
    dist = _find_distribution(name)
    if dist is None:
        return info
    info["found"] = True
    info["version"] = dist.version
    files, namespaces = {}, []
    if dist.files:
        files, namespaces = module_files([f.as_posix() for f in dist.files], ext_suffixes)
        info["source"] = "RECORD"
        libraries = plain_libraries(files, lambda path: str(dist.locate_file(path)))
    if not files:
        tops = [t.strip() for t in (dist.read_text("top_level.txt") or "").splitlines() if t.strip()]
        info["source"] = "top_level.txt"
        if not tops:
            tops = [re.sub(r"[-.]+", "_", dist.metadata["Name"] or name)]
            info["source"] = "name"
        paths = {}
        for top in tops:
            paths.update(_walk_top_level(top, ext_suffixes))
        files, namespaces = module_files(paths, ext_suffixes)
        libraries = plain_libraries(files, paths.__getitem__)
    info["modules"] = {n: "library" if n in libraries else kind for n, (kind, _) in files.items()}
    info["namespaces"] = namespaces
    return info


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def extra_only_requirements(requires, own_name=""):
    """``{canonical name: [extras]}`` of the ``Requires-Dist`` lines only an extra asks for: black's
    ``aiohttp>=3.10; extra == "d"``, unless another line requires it unconditionally (pure). The
    distribution's own name (``polars[pyarrow]; extra == "pandas"``) is never one."""
    always, extra = set(), {}
    for line in requires or ():
        match = _REQUIREMENT_NAME.match(line)
        if not match:
            continue
        name = _normalize(match.group(1))
        extras = _EXTRA_MARKER.findall(line.partition(";")[2])
        if not extras:
            always.add(name)
        for e in extras:
            extra.setdefault(name, set()).add(e)
    skip = always | {_normalize(own_name)}
    return {name: sorted(e) for name, e in sorted(extra.items()) if name not in skip}


def missing_extra_requirements(name):
    """extra_only_requirements() of installed distribution ``name``, those not installed here."""
    dist = _find_distribution(name)
    if dist is None:
        return {}
    wanted = extra_only_requirements(dist.requires, dist.metadata["Name"] or name)
    if not wanted:
        return {}
    installed = {_normalize(d.metadata["Name"] or "") for d in importlib_metadata.distributions()}
    return {req: extras for req, extras in wanted.items() if req not in installed}


def plan_modules(options, ext_suffixes):
    """What to import: ``([(module, kind, distribution)], discovery, provided)`` (see ``run()``);
    ``provided`` maps each distribution to every module it provides on this lane, selected or not
    (``{name: kind}``, namespace packages as ``"namespace"``), which judges its import failures."""
    exclude_tests = options["exclude_tests"]
    exclude_vendored = options["exclude_vendored"]
    budget = options["module_budget"]
    targets, seen, provided = [], set(), {}
    discovery = {
        "distributions": [],
        "counts": {"package": 0, "module": 0, "extension": 0},
        "exclude_tests": exclude_tests,
        "exclude_vendored": exclude_vendored,
        "module_budget": budget,
        "budget_cut": 0,
        "missing": [],
        "libraries": 0,
    }
    for name in options["distributions"]:
        info = discover_distribution(name, ext_suffixes)
        libraries = sorted(m for m, kind in info["modules"].items() if kind == "library")
        selected, excluded, dropped = select_modules(info["modules"], exclude_tests, exclude_vendored, budget)
        entry = {
            "name": name,
            "found": info["found"],
            "version": info["version"],
            "source": info["source"],
            "modules": len(info["modules"]),
            "selected": len(selected),
            "excluded_count": len(excluded),
            "excluded": excluded[:LIST_CAP],
            "excluded_by_reason": count_by(e["reason"] for e in excluded),
            "budget_cut": len(dropped),
            "dropped": dropped[:LIST_CAP],
            "namespaces": info["namespaces"][:LIST_CAP],
            "library_count": len(libraries),
            # What a failed import may need that only an extra installs: judges it optional.
            "extra_only": missing_extra_requirements(name) if info["found"] else {},
            "libraries": libraries[:LIST_CAP],
        }
        discovery["distributions"].append(entry)
        discovery["budget_cut"] += len(dropped)
        discovery["libraries"] += len(libraries)
        provided[name] = {**dict.fromkeys(info["namespaces"], "namespace"), **info["modules"]}
        if not info["found"]:
            discovery["missing"].append(name)
        for module, kind in selected:
            discovery["counts"][kind] = discovery["counts"].get(kind, 0) + 1
            if module not in seen:
                seen.add(module)
                targets.append((module, kind, name))
    for module in options["modules"]:
        if module not in seen:
            seen.add(module)
            targets.append((module, None, None))
    return targets, discovery, provided


def count_by(keys):
    """``{key: how many times it occurs}``."""
    counts = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts
