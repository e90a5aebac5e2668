"""Signals from the per-module table: one per failure (submodules folded into their package's),
one per group of optional dependencies, one per extension that turns the GIL on (pure, but for the
installed-distribution lookup that names an offender's owner)."""

from importlib import metadata as importlib_metadata

from ftlab_probes.runtime import protocol
from ftlab_probes.runtime.imports.failures import ancestors, canonical
from ftlab_probes.runtime.imports.limits import LIST_CAP


def _failure_key(row):
    if row["outcome"] == "optional-dependency":
        return ("optional-dependency", tuple(row["needs"]))
    if row["outcome"] == "import-error":
        err = row["error"] or {}
        return ("import-error", err.get("type"), err.get("message"))
    if row["outcome"] == "crash":
        return ("crash", row["signal"])
    return (row["outcome"],)



def build_signals(rows):
    """Signals from the per-module table (pure).

    A failing submodule whose parent package fails the same way adds to the parent's signal
    (``also_failing``) instead of repeating it; every submodule needing the same missing modules adds
    to one ``optional-dependency`` signal, wherever it is. ``gil-reenabled`` is one signal per
    offending extension, listing every checked import that pulled it in.

    Evidence of every import-error, optional-dependency, crash and hang signal: ``module``,
    ``distribution``, ``module_kind``, ``scope`` (top-level | submodule), ``exit_status``,
    ``output_tail``, ``artifact``, ``also_failing``; import-error and optional-dependency add
    ``error_type``, ``error_message``, ``traceback``; optional-dependency adds ``needs`` and
    ``missing_kind``; crash adds ``signal`` and ``faulthandler``, hang ``timeout_s`` and ``stacks``;
    both add ``alone_outcome`` (None, or the outcome of importing the module alone after it died in a
    batch) and ``only_after`` (the earlier imports of its batch it needs to die, when alone it imports
    fine; else []).
    """
    signals = []
    by_failure = {}
    for row in sorted(rows, key=lambda r: (r["module"].count("."), r["module"])):
        outcome = row["outcome"]
        if outcome not in ("import-error", "optional-dependency", "crash", "hang"):
            continue
        key = _failure_key(row)
        if outcome == "optional-dependency":
            groups = [(row["distribution"], key)]
        else:
            groups = [(a, key) for a in ancestors(row["module"])]
        owner = next((by_failure[g] for g in groups if g in by_failure), None)
        if owner is not None:
            if len(owner["evidence"]["also_failing"]) < LIST_CAP:
                owner["evidence"]["also_failing"].append(row["module"])
            by_failure[(row["module"], key)] = owner
            continue
        sig = _failure_signal(row)
        by_failure[(row["module"], key)] = sig
        if outcome == "optional-dependency":
            by_failure[(row["distribution"], key)] = sig
        signals.append(sig)

    by_offender = {}
    for row in rows:
        if not row.get("gil_reenabled"):
            continue
        for offender in row["offenders"] or ["<unknown>"]:
            sig = by_offender.get(offender)
            if sig is None:
                chain = row["chains"].get(offender) or [row["module"]]
                owner = _owning_distribution(offender)
                sig = protocol.signal(
                    "gil-reenabled",
                    _gil_summary(row["module"], offender, chain, owner, row["distribution"]),
                    module=offender,
                    distribution=row["distribution"],
                    offender_distribution=owner,
                    imported_by=[],
                    chain=chain,
                    warning=row.get("warning_offender") == offender,
                    offenders_in_same_import=list(row["offenders"]),
                )
                by_offender[offender] = sig
                signals.append(sig)
            elif len(sig["evidence"]["chain"]) == 1 and len(row["chains"].get(offender) or ()) > 1:
                # Importing the extension itself proves little; a chain from another import shows who pulls it in.
                sig["evidence"]["chain"] = row["chains"][offender]
                sig["summary"] = _gil_summary(row["module"], offender, row["chains"][offender],
                                              sig["evidence"]["offender_distribution"], row["distribution"])
            if len(sig["evidence"]["imported_by"]) < LIST_CAP:
                sig["evidence"]["imported_by"].append(row["module"])
    return signals


def _owning_distribution(module):
    """The installed distribution that ships ``module`` (its top-level package), or "" when unknown."""
    try:
        owners = importlib_metadata.packages_distributions().get(module.split(".")[0]) or []
    except Exception:  # a broken dist-info elsewhere must not cost the finding
        owners = []
    return owners[0] if owners else ""


def _gil_summary(module, offender, chain, owner="", distribution=""):
    """One line; names the distribution the offending extension comes from when it is a dependency's
    (matplotlib's pdf backend imports fontTools' compiled modules: fonttools must declare, not matplotlib)."""
    of = ""
    if owner and distribution and canonical(owner) != canonical(distribution):
        of = " (from %s, a dependency)" % owner
    summary = "importing %r enables the GIL: %r%s has not declared that it can run without it" % (
        module,
        offender,
        of,
    )
    if len(chain) > 1:
        summary += " (pulled in by %s)" % " -> ".join(chain)
    return summary


def _failure_signal(row):
    module = row["module"]
    common = {
        "module": module,
        "distribution": row["distribution"],
        "module_kind": row["kind"],
        "scope": row["scope"],
        "exit_status": row["exit_status"],
        "output_tail": row["output_tail"],
        "artifact": row["artifact"],
        "also_failing": [],
    }
    if row["outcome"] in ("crash", "hang"):
        return _death_signal(row, common)
    err = row["error"] or {}
    error = {
        "error_type": err.get("type"),
        "error_message": err.get("message"),
        "traceback": err.get("traceback"),
    }
    if row["outcome"] == "optional-dependency":
        return protocol.signal(
            "optional-dependency",
            _needs_summary(module, row["needs"], row["missing_kind"], row["distribution"], row.get("extras")),
            needs=list(row["needs"]),
            missing_kind=row["missing_kind"],
            extras=list(row.get("extras") or ()),
            **error,
            **common,
        )
    return protocol.signal(
        "import-error",
        "importing %r raised %s: %s" % (module, err.get("type"), (err.get("message") or "")[:200]),
        **error,
        **common,
    )


def _needs_summary(module, needs, missing_kind, distribution=None, extras=None):
    names = ", ".join(repr(n) for n in needs)
    if missing_kind == "extra":
        asks = " or ".join("%s[%s]" % (distribution or "its distribution", e) for e in extras or ()) or "an extra"
        return "%r needs %s, which only an optional extra installs (%s)" % (module, names, asks)
    if missing_kind == "not-in-distribution":
        return "%r needs %s, which this distribution does not ship on this lane" % (module, names)
    if missing_kind == "interpreter":
        return "%r needs %s, a standard-library module this interpreter was built without" % (module, names)
    return "%r needs %s, which %s not installed" % (module, names, "is" if len(needs) == 1 else "are")


def _death_signal(row, common):
    """A crash or hang signal; one that needed the earlier imports of its batch says so."""
    death = row["batch_death"] or {}
    only_after = []
    if death.get("alone_outcome") == "ok":
        only_after = death.get("culprits") or death.get("after") or []
    context = {"alone_outcome": death.get("alone_outcome"), "only_after": list(only_after)}
    after = ""
    if only_after:
        after = " only after %s had been imported in the same process; alone it imports fine" % (
            ", ".join(repr(m) for m in only_after[:3]) + (" and more" if len(only_after) > 3 else "")
        )
    if row["outcome"] == "crash":
        return protocol.signal(
            "crash",
            "importing %r crashed the interpreter (%s)%s" % (row["module"], row["signal"], after),
            signal=row["signal"],
            faulthandler=row["faulthandler"],
            **context,
            **common,
        )
    return protocol.signal(
        "hang",
        "importing %r did not finish within %g s%s" % (row["module"], row.get("timeout_s") or 0, after),
        timeout_s=row.get("timeout_s"),
        stacks=row["faulthandler"],
        **context,
        **common,
    )
