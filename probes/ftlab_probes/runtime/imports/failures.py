"""Judging a failure against what the distribution provides: a submodule's import error caused by a
module its distribution does not provide is an optional dependency, and so is any import error that
names a requirement only one of the distribution's extras asks for (pure)."""

import re
import sys


def import_scope(module, provided):
    """``top-level`` or ``submodule`` (pure). A module with no regular package of its distribution
    above it is top-level: ``pandas``, and ``google.protobuf`` (``google`` is a namespace many
    distributions share); ``numpy.random._examples.numba.extending`` is a submodule, though
    ``numba/`` there has no ``__init__``. ``provided`` None (a module named explicitly): its depth
    decides."""
    if provided is None:
        return "submodule" if "." in module else "top-level"
    return "top-level" if own_package(module, provided) is None else "submodule"


def own_package(name, provided):
    """The distribution's regular package nearest above ``name``, or None (pure)."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if provided.get(prefix) == "package":
            return prefix
    return None


def needed_modules(error, provided):
    """``(needs, missing_kind)``: the modules a failed import looked for that its distribution does not
    provide, and whether the first is ``not-installed`` (outside the distribution's own packages) or
    ``not-in-distribution`` (under them, but not shipped on this lane) (pure).

    A ``from-import`` miss (``from pkg import name``) counts only under the distribution's own packages:
    ``from numpy import gone`` is as likely a removed function as a module.
    """
    needs, kinds = [], []
    for entry in (error or {}).get("not_found") or ():
        name = entry.get("name")
        if not name or name in provided or name in needs:
            continue
        own = own_package(name, provided) is not None
        if entry.get("via") == "from-import" and not own:
            continue
        needs.append(name)
        kinds.append("not-in-distribution" if own else "not-installed")
    return needs, (kinds[0] if kinds else None)


def extra_needed(error, extra_only):
    """``(requirement, extras)``: the requirement only an extra asks for (``extra_only``: discovery's
    ``{canonical name: [extras]}``, not installed) that a failed import names, in a module it did not
    find or in its message (black's ``blackd`` cuts the chain with ``from None`` and says "aiohttp
    dependency is not installed"); None when it names none (pure)."""
    error = error or {}
    missing = [e.get("name") for e in error.get("not_found") or () if e.get("name")]
    message = error.get("message") or ""
    for requirement, extras in sorted((extra_only or {}).items()):
        forms = {requirement, requirement.replace("-", "_")}
        if any(canonical(name.split(".")[0]) == requirement for name in missing):
            return requirement, list(extras)
        if any(re.search(r"(?<![\w.-])%s(?![\w-])" % re.escape(form), message, re.IGNORECASE) for form in forms):
            return requirement, list(extras)
    return None


def canonical(name):
    """PEP 503 name normalisation (the lane side has no ``packaging``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def stdlib_missing(error):
    """The standard-library modules a failed import looked for and this interpreter lacks: its build left
    them out (CPython builds ``_zstd``, ``_lzma``, ``_ssl``... only where the library's headers were there),
    so the failure is the interpreter's, not the package's (pure but for ``sys.stdlib_module_names``)."""
    names = getattr(sys, "stdlib_module_names", ())
    return [e["name"] for e in (error or {}).get("not_found") or ()
            if e.get("name") in names and e.get("via") != "from-import"]


def judge_failure(row, provided, extra_only=None):
    """Set the row's ``scope``; an import error that names a standard-library module this interpreter was
    built without is ``optional-dependency`` with ``missing_kind: "interpreter"``; one that names a requirement only an extra asks for
    (extra_needed()), or a submodule's caused by a module its distribution does not provide, becomes
    ``optional-dependency`` with ``needs`` and ``missing_kind`` (``extra``, with ``extras``, for the
    former) (pure)."""
    row["scope"] = import_scope(row["module"], provided)
    lacking = stdlib_missing(row["error"]) if row["outcome"] == "import-error" else []
    extra = extra_needed(row["error"], extra_only) if row["outcome"] == "import-error" and not lacking else None
    if lacking:
        row.update(outcome="optional-dependency", needs=lacking, missing_kind="interpreter")
    elif extra is not None:
        row.update(outcome="optional-dependency", needs=[extra[0]], missing_kind="extra", extras=extra[1])
    elif row["outcome"] == "import-error" and row["scope"] == "submodule" and provided is not None:
        needs, missing_kind = needed_modules(row["error"], provided)
        if needs:
            row.update(outcome="optional-dependency", needs=needs, missing_kind=missing_kind)
    return row


def judge_failures(rows, provided, extra_only=None):
    """judge_failure() for every row, with ``provided`` and ``extra_only`` (discovery's, per
    distribution) (pure). A submodule that
    fails exactly like a failed package above it (same error type, message and missing modules:
    importing it ran the package's failing ``__init__`` again) is judged like that package."""
    failed = {}
    for row in sorted(rows, key=lambda r: (r["module"].count("."), r["module"])):
        judge_failure(row, provided.get(row["distribution"]), (extra_only or {}).get(row["distribution"]))
        if row["outcome"] not in ("import-error", "optional-dependency"):
            continue
        err = row["error"] or {}
        key = (err.get("type"), err.get("message"), [e.get("name") for e in err.get("not_found") or ()])
        above = next((failed[a] for a in ancestors(row["module"]) if a in failed), None)
        if above is not None and above[0] == key:
            origin = above[1]
            row.update(
                outcome=origin["outcome"], needs=list(origin["needs"]), missing_kind=origin["missing_kind"]
            )
            if "extras" in origin:
                row["extras"] = list(origin["extras"])
        failed[row["module"]] = (key, row)
    return rows


def ancestors(name):
    """``a.b.c`` -> ``["a.b", "a"]``, nearest first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]

