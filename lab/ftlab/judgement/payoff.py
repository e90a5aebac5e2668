"""Does free-threading pay off? A free-threaded lane against the GIL lane of the same minor version,
workload by workload, judged by the user's service-level objective (SLO).

This is the second of the two perf questions (the first, "did an upgrade regress?", is
lab/ftlab/judgement/gates.py and only compares builds of the same kind). For each workload, shape (``independent``:
one object per thread; ``shared``: one object for all) and thread count:

- payoff = free-threaded throughput at N / GIL throughput at N (medians; the range pairs the extremes
  of the repeats: FT min / GIL max to FT max / GIL min);
- the single-thread cost: the payoff at 1 thread (below 1: 3.14t is slower alone);
- p95 latency per call at N on both lanes.

The SLO (``--payoff``, ``[tool.ftlab.perf]``; DEFAULT_SLO): at N threads (default: the most both lanes
measured, the cores), payoff >= 1.3 and p95 at N <= the GIL lane's p95 at N x 1.1, on the
independent shape (a shared object serialises on its own locks on either build; add ``shared`` to
judge it too). Each judged workload ``meets`` the SLO (medians within it), ``misses`` it (outside it
even at the favourable end of the measured ranges) or is ``inconclusive`` (outside on the medians,
within the ranges). The lane's verdict: ``pays off`` when every judged workload meets it, ``does not
pay off`` when one misses, else ``inconclusive``; ``not measured`` without a judged workload.

The verdict answers the adoption question beside go/no-go: it never makes a run no-go (go/no-go is
about safety), and every report shows it with each lane's build (PGO, LTO, CONFIG_ARGS): a lane built
with PGO+LTO against one built with plain -O3 measures the build as much as free threading.

Pure functions over Result data.
"""

from __future__ import annotations

import difflib
import math
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ftlab.errors import UsageError
from ftlab.judgement.pairing import free_threaded_baselines
from ftlab.records import Lane, Result

#: The question this module answers, as every perf finding and report row names it.
QUESTION = "payoff"
SHAPES = ("independent", "shared")
VERDICTS = ("pays off", "does not pay off", "inconclusive", "not measured")


@dataclass(frozen=True, kw_only=True)
class SLO:
    #: Free-threaded throughput at N over the GIL lane's at N, at least: a 30% gain is worth the move's
    #: cost (extension audits, a second build in CI); below it, a process pool does as well.
    payoff: float = 1.3
    #: p95 latency per call at N, at most this times the GIL lane's at N: throughput bought with tail
    #: latency breaks latency SLOs; 10% is the noise of a shared machine.
    p95: float = 1.1
    #: The thread count judged; None: the most both lanes measured (1, 2, 4... up to the cores).
    threads: int | None = None
    #: The shapes judged; the others are shown, not judged.
    shapes: tuple[str, ...] = ("independent",)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "shapes": list(self.shapes)}

    def describe(self, threads: int | None = None) -> str:
        """The SLO in words; ``threads``: the count judged when the SLO leaves it to the cores."""
        n = self.threads or threads
        at = f"{n} threads" if n else "the cores"
        return (f"payoff >= {self.payoff:g}x and p95 <= GIL p95 x {self.p95:g} at {at}, "
                f"{' and '.join(self.shapes)} shape{'s' if len(self.shapes) > 1 else ''}")


DEFAULT_SLO = SLO()
#: ``--payoff`` keys; in ``[tool.ftlab.perf]`` the same with ``payoff_`` before them (``payoff`` itself as is).
KEYS = ("payoff", "p95", "threads", "shapes")
EXAMPLE = "payoff=1.3,p95=1.1,threads=4,shapes=independent+shared"


def _value(key: str, value: object, where: str) -> Any:
    if key == "shapes":
        parts = value if isinstance(value, list) else str(value).replace("+", ",").split(",")
        shapes = tuple(str(p).strip() for p in parts if str(p).strip())
        bad = [s for s in shapes if s not in SHAPES]
        if bad or not shapes:
            raise UsageError(f"payoff shapes in {where} are independent and/or shared (got "
                             f"'{', '.join(bad) or value}'); e.g. shapes=independent+shared")
        return shapes
    if key == "threads":
        try:
            n = int(str(value))
        except ValueError:
            n = 0
        if n < 1:
            raise UsageError(f"payoff threads in {where} must be a whole number of threads (got '{value}'); "
                             "e.g. threads=4")
        return n
    try:
        ratio = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ratio = math.nan
    if not math.isfinite(ratio) or ratio <= 0:
        raise UsageError(f"payoff '{key}' in {where} needs a positive ratio (got '{value}'); e.g. {EXAMPLE}")
    return ratio


def _key(name: str, where: str, known: Sequence[str]) -> str:
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UsageError(f"unknown payoff setting '{name}' in {where}{hint} (known: {', '.join(known)}); e.g. {EXAMPLE}")
    return name


def parse_slo(text: str | None, base: SLO = DEFAULT_SLO) -> SLO:
    """``--payoff``: ``1.5`` (the payoff alone) or ``payoff=1.3,p95=1.1,threads=4,shapes=independent+shared``."""
    values = asdict(base)
    text = (text or "").strip()
    if text and "=" not in text:
        text = f"payoff={text}"
    for part in text.split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        key = _key(name.strip(), "--payoff", KEYS)
        values[key] = _value(key, value.strip(), "--payoff")
    return SLO(**values)


def perf_table(directory: Path) -> tuple[Any, str]:
    """``[tool.ftlab.perf]`` of ``directory/pyproject.toml`` as written (``{}`` without one), and where it is
    for messages; upgrade budgets (lab.perf_gates) and the payoff SLO share the table."""
    path = directory / "pyproject.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, str(path)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}; fix the file or run ftlab elsewhere") from None
    return doc.get("tool", {}).get("ftlab", {}).get("perf", {}), f"{path} [tool.ftlab.perf]"


def pyproject_slo(directory: Path) -> dict[str, Any]:
    """The payoff settings of ``[tool.ftlab.perf]`` in ``directory/pyproject.toml``: ``payoff = 1.3``,
    ``payoff_p95 = 1.1``, ``payoff_threads = 4``, ``payoff_shapes = ["independent", "shared"]``."""
    table, where = perf_table(directory)
    if not isinstance(table, dict):
        return {}
    names = {"payoff": "payoff", **{f"payoff_{k}": k for k in KEYS if k != "payoff"}}
    out = {}
    for name, value in table.items():
        if name.startswith("payoff"):
            key = names[_key(name, where, list(names))]
            out[key] = _value(key, value, where)
    return out


def is_payoff_key(name: str) -> bool:
    """Keys of ``[tool.ftlab.perf]`` that set the payoff SLO, not an upgrade budget."""
    return name.startswith("payoff")


def resolve_slo(text: str | None, directory: Path) -> SLO:
    """The run's SLO: the defaults, then ``[tool.ftlab.perf]``, then ``--payoff``."""
    return parse_slo(text, SLO(**{**asdict(DEFAULT_SLO), **pyproject_slo(directory)}))


def slo_from_options(options: Mapping[str, Any]) -> SLO:
    recorded = options.get("payoff_slo")
    if isinstance(recorded, dict) and recorded:
        known = {k: v for k, v in recorded.items() if k in KEYS}
        if "shapes" in known:
            known["shapes"] = tuple(known["shapes"])
        return SLO(**{**asdict(DEFAULT_SLO), **known})
    return parse_slo(options.get("payoff"))


# -- pairing lanes ------------------------------------------------------------------------------------


def minor(lane: Lane) -> tuple[int, ...]:
    return lane.release[:2]


def pairs(lanes: Sequence[Lane]) -> list[tuple[str, str]]:
    """(GIL lane, free-threaded lane) of the same minor version, each free-threaded lane with the first
    such GIL lane."""
    available = [ln for ln in lanes if ln.available]
    return [(gil, ft) for ft, gil in free_threaded_baselines(available, same_minor_only=True).items()]


# -- the computation ----------------------------------------------------------------------------------


def shape_points(workload: Mapping[str, Any], shape: str) -> list[Mapping[str, Any]]:
    """A workload's points of one shape (results from before the shapes hold the shared one only)."""
    key = "points" if shape == "shared" else "independent_points"
    return [p for p in workload.get(key) or [] if isinstance(p, dict)]


def _spread(point: Mapping[str, Any] | None, *path: str) -> Mapping[str, Any] | None:
    value: Any = point
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) and _num(value.get("median")) else None


def _num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b and _num(a) and _num(b) else None


def point_payoff(gil: Mapping[str, Any], ft: Mapping[str, Any]) -> dict[str, Any] | None:
    """One thread count of one shape: payoff with its range, throughput and p95 on both lanes."""
    g, f = _spread(gil, "ops_per_s"), _spread(ft, "ops_per_s")
    if g is None or f is None or not g["median"]:
        return None
    gp, fp = _spread(gil, "latency_us", "p95"), _spread(ft, "latency_us", "p95")
    row = {"threads": ft.get("threads"), "payoff": _ratio(f["median"], g["median"]),
           "range": [_ratio(f.get("min", f["median"]), g.get("max", g["median"])),
                     _ratio(f.get("max", f["median"]), g.get("min", g["median"]))],
           "gil_ops": g["median"], "ft_ops": f["median"],
           "gil_p95": gp["median"] if gp else None, "ft_p95": fp["median"] if fp else None,
           "p95_ratio": None, "p95_range": None}
    if gp and fp and gp["median"]:
        row["p95_ratio"] = _ratio(fp["median"], gp["median"])
        row["p95_range"] = [_ratio(fp.get("min", fp["median"]), gp.get("max", gp["median"])),
                            _ratio(fp.get("max", fp["median"]), gp.get("min", gp["median"]))]
    return row


def judge_point(row: Mapping[str, Any], slo: SLO) -> tuple[str, str]:
    """(meets | misses | inconclusive, why) for one workload and shape at the judged thread count."""
    payoff, high = row["payoff"], row["range"][1]
    p95 = row.get("p95_ratio")
    p95_low = (row.get("p95_range") or [p95, p95])[0]
    failing = []
    if payoff < slo.payoff:
        failing.append(("payoff", high is not None and high < slo.payoff,
                        f"payoff {payoff:.2f}x < {slo.payoff:g}x"))
    if p95 is not None and p95 > slo.p95:
        failing.append(("p95", p95_low is not None and p95_low > slo.p95,
                        f"p95 {p95:.2f}x the GIL lane's > {slo.p95:g}x"))
    if not failing:
        kept = f"payoff {payoff:.2f}x >= {slo.payoff:g}x" + (f", p95 {p95:.2f}x <= {slo.p95:g}x" if p95 else "")
        return "meets", kept
    why = "; ".join(text for _, _, text in failing)
    if any(clear for _, clear, _ in failing):
        return "misses", why + " (outside the measured spread)"
    return "inconclusive", why + " (within the measured spread)"


def compute(gil: Result, ft: Result, slo: SLO) -> dict[str, Any]:
    """The payoff document of one free-threaded lane's perf result against its GIL lane's."""
    gil_w = {w.get("probe"): w for w in gil.data.get("workloads") or [] if isinstance(w, dict)}
    rows = []
    for w in ft.data.get("workloads") or []:
        if not isinstance(w, dict) or w.get("probe") not in gil_w:
            continue
        g = gil_w[w["probe"]]
        for shape in SHAPES:
            gp = {p.get("threads"): p for p in shape_points(g, shape)}
            points = [row for p in shape_points(w, shape) if p.get("threads") in gp
                      for row in [point_payoff(gp[p.get("threads")], p)] if row]
            if points:
                rows.append({"probe": w["probe"], "kind": w.get("kind", "probe"), "shape": shape,
                             "stateless": bool(w.get("stateless")), "points": points})
    judged_n = _judged_threads(rows, slo)
    for row in rows:
        by_n = {p["threads"]: p for p in row["points"]}
        row["single_thread"] = by_n[1]["payoff"] if 1 in by_n else None
        row["judged"] = row["shape"] in slo.shapes
        at = by_n.get(judged_n)
        if not row["judged"]:
            row["outcome"], row["why"] = "not judged", f"the {row['shape']} shape is not in the SLO"
        elif at is None:
            row["outcome"], row["why"] = "not measured", f"not measured at {judged_n} threads on both lanes"
        else:
            row["outcome"], row["why"] = judge_point(at, slo)
    outcomes = [r["outcome"] for r in rows if r["judged"] and r["outcome"] != "not measured"]
    if not outcomes:
        verdict = "not measured"
    elif "misses" in outcomes:
        verdict = "does not pay off"
    elif all(o == "meets" for o in outcomes):
        verdict = "pays off"
    else:
        verdict = "inconclusive"
    builds = {"gil": gil.data.get("build"), "ft": ft.data.get("build")}
    doc = {"question": QUESTION, "against": gil.lane, "lane": ft.lane, "slo": slo.to_json(), "threads": judged_n,
           "verdict": verdict, "workloads": rows, "builds": builds,
           "caveat": build_caveat(gil.lane, ft.lane, builds["gil"], builds["ft"])}
    doc["summary"] = summary(doc)
    return doc


def _judged_threads(rows: Sequence[Mapping[str, Any]], slo: SLO) -> int | None:
    if slo.threads:
        return slo.threads
    counts = [p["threads"] for r in rows for p in r["points"] if isinstance(p.get("threads"), int)]
    return max(counts, default=None)


#: CONFIG_ARGS that say where a build goes or that it is free-threaded, not how fast it is.
_PLACE = ("--prefix", "--libdir", "--disable-gil", "--with-wheel-pkg-dir", "MKDIR_P=", "CC=", "--exec-prefix")


def _options(build: Mapping[str, Any]) -> set[str]:
    try:
        parts = shlex.split(str(build.get("config_args") or ""))
    except ValueError:
        parts = str(build.get("config_args") or "").split()
    return {p for p in parts if not p.startswith(_PLACE)}


def build_caveat(gil_name: str, ft_name: str, gil: object, ft: object) -> str | None:
    """A phrase when the two lanes were not built the same way (PGO, LTO, configure options), or when it is
    unknown; None when their configuration matches."""
    if not isinstance(gil, Mapping) or not isinstance(ft, Mapping):
        return "how the lanes were built is not recorded: single-thread figures may measure the build"

    def kind(b: Mapping[str, Any]) -> str:
        parts = [x for x, on in (("PGO", b.get("pgo")), ("LTO", b.get("lto"))) if on]
        return "+".join(parts) or "neither PGO nor LTO"

    tail = "the single-thread cost measures the build as much as free threading"
    if kind(gil) != kind(ft):
        return f"{gil_name} was built with {kind(gil)}, {ft_name} with {kind(ft)}: {tail}"
    only_gil, only_ft = sorted(_options(gil) - _options(ft)), sorted(_options(ft) - _options(gil))
    if not only_gil and not only_ft:
        return None

    def listed(opts: list[str]) -> str:
        return ", ".join(opts[:4]) + (f" and {len(opts) - 4} more" if len(opts) > 4 else "") if opts else "nothing"

    return (f"the lanes were configured differently (only {gil_name}: {listed(only_gil)}; only {ft_name}: "
            f"{listed(only_ft)}), and a distribution's own build steps (PGO, LTO) do not show in CONFIG_ARGS: "
            f"{tail}")


def summary(doc: Mapping[str, Any]) -> str:
    """One line: the verdict, the SLO and the workloads that decided it."""
    slo = SLO(**{**doc["slo"], "shapes": tuple(doc["slo"]["shapes"])})
    rows = [r for r in doc["workloads"] if r["judged"]]
    counts = {o: sum(r["outcome"] == o for r in rows) for o in ("meets", "misses", "inconclusive")}
    tally = ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "nothing judged"
    head = f"{doc['lane']} against {doc['against']}: {doc['verdict']} ({slo.describe(doc.get('threads'))}; {tally})"
    missed = [f"{r['probe']} ({r['shape']}): {r['why']}" for r in rows if r["outcome"] == "misses"][:3]
    return head + (": " + "; ".join(missed) if missed else "")


def run_payoff(results: Sequence[Result]) -> list[Mapping[str, Any]]:
    """Every payoff document of a run's perf results, with the subject (reports read this)."""
    return [{"subject": r.subject, **r.data["payoff"]} for r in results
            if r.check == "perf" and isinstance(r.data.get("payoff"), dict)]


def overall(docs: Sequence[Mapping[str, Any]]) -> str:
    """The run's payoff verdict over its subjects, as for one lane's workloads."""
    verdicts = [d["verdict"] for d in docs if d.get("verdict") != "not measured"]
    if not verdicts:
        return "not measured"
    if "does not pay off" in verdicts:
        return "does not pay off"
    return "pays off" if all(v == "pays off" for v in verdicts) else "inconclusive"
