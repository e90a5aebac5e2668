"""Readiness for people: one line per package (the default view), the matrix (``--wide``), an HTML page.

The default view groups each package's targets by Python ("cp314, cp314t: wheels on 5/5 platforms;
cp315t: sdist only"), lists the packages that block readiness first (nothing installs, then builds from
source, then wheels on some platforms only) and wraps at word boundaries within the width (120 columns
off a terminal). Pure: ``readiness_lines``, ``readiness_table`` and ``readiness_html`` return text or a
rich renderable; ``print_readiness_lines`` and ``print_readiness`` are the functions that print.
"""

from __future__ import annotations

import html
import shutil
import sys
import textwrap
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ftlab.deps.readiness import PLATFORMS, Cell, PackageRow, Readiness

#: status -> (label in a cell, style). Short labels keep ten target columns inside 120 characters.
STYLES = {
    "wheel": ("wheel", "bold green"),
    "abi3": ("abi3", "green"),
    "abi3t": ("abi3t", "green"),
    "pure": ("pure", "cyan"),
    "sdist-only": ("sdist", "yellow"),
    "nothing": ("none", "bold red"),
    "not-needed": ("-", "dim"),
    "local": ("local", "blue"),
}
_PLATFORM_LABELS = {
    "manylinux_x86_64": "linux\nx86_64", "manylinux_aarch64": "linux\naarch64", "musllinux_x86_64": "musl\nx86_64",
    "musllinux_aarch64": "musl\naarch64", "macos_arm64": "macOS\narm64", "macos_x86_64": "macOS\nx86_64",
    "win_amd64": "Windows\namd64", "win_arm64": "Windows\narm64",
}
LEGEND = ("wheel: a wheel for the target (abi3: stable ABI; abi3t: PEP 803's stable ABI for free-threaded 3.15+)  "
          "pure: py3-none-any  sdist: builds from source  none: nothing installs  -: not needed  "
          "FT: the package's Free Threading classifiers, as declared (?: the index does not say)")


def cell_text(cell: Cell) -> Text:
    abi = cell.tag.split("-")[1] if cell.status == "wheel" and cell.tag and cell.tag.count("-") == 2 else ""
    key = abi if abi in ("abi3", "abi3t") else cell.status
    label, style = STYLES[key]
    return Text(label, style=style)


def _classifier_text(classifiers: tuple[str, ...] | None) -> Text:
    if classifiers is None:
        return Text("?", style="dim")
    if not classifiers:
        return Text("")
    # As declared, without the common prefix: "Programming Language :: Python :: Free Threading :: 3 - Stable"
    # -> "3 - Stable" (the number is the classifier's own level, 1 Unstable to 4 Resilient).
    return Text(", ".join(c.rsplit("::", 1)[-1].strip() for c in classifiers), style="magenta")


def summary_line(readiness: Readiness) -> Text:
    parts = []
    for py in readiness.pythons:
        s = readiness.python_summary(py)
        style = "green" if s["ready"] == s["needed"] else "yellow"
        parts.append(Text.assemble((f"{py}: ", "bold"), (f"{s['ready']}/{s['needed']} ready", style)))
    line = Text("  ").join(parts)
    line.append("  (ready = a wheel installs on every platform listed)", style="dim")
    return line


def readiness_table(readiness: Readiness) -> RenderableType:
    table = Table(title=f"Wheel readiness on {readiness.index_url}", title_justify="left", show_lines=False,
                  header_style="bold", pad_edge=False)
    table.add_column("package", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("FT", no_wrap=True)
    for t in readiness.targets:
        label = _PLATFORM_LABELS.get(t.platform) if t.platform in PLATFORMS else t.platform.replace("_", "\n", 1)
        table.add_column(f"{t.python}\n{label}", justify="center", no_wrap=True)
    for row in readiness.packages:
        name = Text(row.name)
        if row.via:
            more = f" +{len(row.via) - 1}" if len(row.via) > 1 else ""
            name.append(f" <- {row.via[0]}{more}", style="dim")
        table.add_row(name, row.version or "local", _classifier_text(row.classifiers), *map(cell_text, row.cells))
    footer = []
    for i in range(len(readiness.targets)):
        s = readiness.target_summary(i)
        footer.append(Text(f"{s['ready']}/{s['needed']}", style="green" if s["ready"] == s["needed"] else "yellow"))
    table.add_section()
    table.add_row(Text("ready", style="bold"), "", "", *footer)
    return Group(table, Text(LEGEND, style="dim"), summary_line(readiness))


def print_readiness(readiness: Readiness, out: TextIO | None = None) -> None:
    """Print the matrix; colour only on a terminal, and wide enough for every target column."""
    out = out or sys.stdout
    #: Off a terminal (a pipe, a CI log) nothing wraps: the table takes the width its columns need.
    wide = 250
    console = Console(file=out, highlight=False, width=None if out.isatty() else wide)
    console.print(readiness_table(readiness))


# -- one line per package --------------------------------------------------------------------------

#: The widest the line view gets: a 120-column terminal, or a log, shows every word whole.
LINE_WIDTH = 120
#: Below this a terminal is too narrow to wrap sensibly; the lines then take this width.
MIN_WIDTH = 60
#: Continuation lines of a package are indented this much, so each package stands out.
INDENT = 4
#: Severity of a Python's state for one package, most blocking first (sorting and colour).
SEVERITY = {"nothing": 0, "sdist": 1, "partial": 2, "ready": 3, "local": 4, "not-needed": 5}
_LINE_STYLE = {0: "bold red", 1: "yellow", 2: "yellow", 3: "green", 4: "blue", 5: "dim"}
NEXT_STEPS = ("sdist only: installs by building from source (a compiler, and minutes; 'ftlab run' announces each build "
              "with a rough cost). nothing: no file installs on that target; ask the project for a wheel (cibuildwheel "
              "builds cp314t by default). --wide: the matrix; --json: every cell; --format html: a page.")


def _short_platform(platform: str) -> str:
    return platform.replace("manylinux_", "linux-").replace("musllinux_", "musl-").replace("macos_", "macOS-")


def python_state(readiness: Readiness, row: PackageRow, python: str) -> tuple[int, str]:
    """(severity, phrase) for one package on one Python, over that Python's platforms: "wheels on 5/5
    platforms", "wheels on 3/5 platforms (sdist on macOS-arm64, win_amd64)", "sdist only", "pure Python"..."""
    idx = [i for i, t in enumerate(readiness.targets) if t.python == python]
    cells = [(readiness.targets[i].platform, row.cells[i]) for i in idx]
    needed = [(p, c) for p, c in cells if c.status not in ("not-needed", "local")]
    if any(c.status == "local" for _, c in cells):
        return SEVERITY["local"], "local project (built from its folder)"
    if not needed:
        return SEVERITY["not-needed"], "not needed"
    n = len(needed)
    ready = [(p, c) for p, c in needed if c.status in ("wheel", "pure")]
    sdist = [p for p, c in needed if c.status == "sdist-only"]
    nothing = [p for p, c in needed if c.status == "nothing"]
    abis = sorted({c.tag.split("-")[1] for _, c in ready if c.tag and c.tag.count("-") == 2} & {"abi3", "abi3t"})
    kind = f" ({', '.join(abis)})" if abis else ""
    if len(ready) == n:
        if all(c.status == "pure" for _, c in ready):
            return SEVERITY["ready"], "pure Python"
        return SEVERITY["ready"], f"wheels on {n}/{n} platforms{kind}"
    if not ready:
        if len(sdist) == n:
            return SEVERITY["sdist"], "sdist only"
        if len(nothing) == n:
            return SEVERITY["nothing"], "nothing installs"
        return SEVERITY["nothing"], f"sdist only on {len(sdist)}/{n} platforms, nothing on " + \
            ", ".join(map(_short_platform, nothing))
    missing = [f"sdist on {', '.join(map(_short_platform, sdist))}"] if sdist else []
    missing += [f"nothing on {', '.join(map(_short_platform, nothing))}"] if nothing else []
    return (SEVERITY["nothing"] if nothing else SEVERITY["partial"]), \
        f"wheels on {len(ready)}/{n} platforms{kind} ({'; '.join(missing)})"


def package_line(readiness: Readiness, row: PackageRow) -> tuple[tuple[int, int], str]:
    """(sort key, text): the package, then its Pythons grouped by state, the most blocking first. The key
    puts the most blocked packages first: the worst state, then how many Pythons are held back."""
    groups: dict[tuple[int, str], list[str]] = {}
    for py in readiness.pythons:
        groups.setdefault(python_state(readiness, row, py), []).append(py)
    parts = [f"{', '.join(pys)}: {phrase}" for (_, phrase), pys in sorted(groups.items(), key=lambda kv: kv[0][0])]
    name = f"{row.name} {row.version or '(local)'}"
    if row.via:
        name += f" (via {row.via[0]}{f' +{len(row.via) - 1}' if len(row.via) > 1 else ''})"
    if row.classifiers:
        name += " [declares Free Threading: " + ", ".join(c.rsplit("::", 1)[-1].strip() for c in row.classifiers) + "]"
    states = [python_state(readiness, row, py)[0] for py in readiness.pythons]
    return (min(states), sum(states)), f"{name}: {'; '.join(parts)}"


def _wrap(text: str, width: int) -> list[str]:
    # Words are never cut: a name longer than the width stays whole on its own line.
    return textwrap.wrap(text, width=width, subsequent_indent=" " * INDENT, break_long_words=False,
                         break_on_hyphens=False) or [""]


def readiness_lines(readiness: Readiness, width: int = LINE_WIDTH) -> list[tuple[str, str]]:
    """(text, style) lines of the default view, each within ``width`` columns. Pure."""
    width = max(MIN_WIDTH, width)
    out: list[tuple[str, str]] = []
    platforms = list(dict.fromkeys(_short_platform(t.platform) for t in readiness.targets))
    head = (f"Wheel readiness on {readiness.index_url}: {len(readiness.packages)} packages, "
            f"{len(platforms)} platform{'s' if len(platforms) != 1 else ''} ({', '.join(platforms)})")
    out += [(ln, "bold") for ln in _wrap(head, width)]
    summary = "  ".join(f"{py}: {s['ready']}/{s['needed']} ready" for py in readiness.pythons
                        for s in [readiness.python_summary(py)])
    out += [(ln, "bold") for ln in _wrap(summary + "  (ready = a wheel on every platform listed)", width)]
    lines = sorted((package_line(readiness, row) for row in readiness.packages), key=lambda sl: sl[0])
    blocking = sum(key[0] < SEVERITY["ready"] for key, _ in lines)
    out.append(("", ""))
    if blocking:
        out.append((f"{blocking} package(s) not ready everywhere, first:", "bold"))
    for key, text in lines:
        out += [(ln, _LINE_STYLE[key[0]]) for ln in _wrap(text, width)]
    out.append(("", ""))
    out += [(ln, "dim") for ln in _wrap(NEXT_STEPS, width)]
    return out


def print_readiness_lines(readiness: Readiness, out: TextIO | None = None) -> None:
    """The default view: the terminal's width up to 120 columns (120 off a terminal); colour only on a terminal."""
    out = out or sys.stdout
    tty = out.isatty()
    width = min(LINE_WIDTH, shutil.get_terminal_size((LINE_WIDTH, 24)).columns) if tty else LINE_WIDTH
    console = Console(file=out, highlight=False, width=max(width, MIN_WIDTH), soft_wrap=True)
    for text, style in readiness_lines(readiness, width):
        console.print(Text(text, style=style or ""))


# -- an HTML page ---------------------------------------------------------------------------------

_CELL_COLOURS = {"wheel": "#1a7f37", "abi3": "#2da44e", "abi3t": "#2da44e", "pure": "#0969da", "sdist-only": "#9a6700",
                 "nothing": "#cf222e", "not-needed": "#8c959f", "local": "#6639ba"}


def readiness_html(readiness: Readiness) -> str:
    """A self-contained page: the summary, one line per package (blocking first), then the matrix."""
    esc = html.escape
    lines = sorted((package_line(readiness, row) for row in readiness.packages), key=lambda sl: sl[0])
    colour = {0: "#cf222e", 1: "#9a6700", 2: "#9a6700", 3: "#1a7f37", 4: "#6639ba", 5: "#8c959f"}
    items = "\n".join(f'<li style="color:{colour[key[0]]}">{esc(text)}</li>' for key, text in lines)
    summary = " &nbsp; ".join(f"<b>{esc(py)}</b>: {s['ready']}/{s['needed']} ready" for py in readiness.pythons
                              for s in [readiness.python_summary(py)])
    head = "".join(f"<th>{esc(t.python)}<br>{esc(_short_platform(t.platform))}</th>" for t in readiness.targets)
    rows = []
    for row in readiness.packages:
        cells = []
        for cell in row.cells:
            label = cell_text(cell).plain
            key = label if label in _CELL_COLOURS else cell.status
            cells.append(f'<td style="background:{_CELL_COLOURS.get(key, "#fff")};color:#fff" '
                         f'title="{esc(cell.file or "")}">{esc(label)}</td>')
        rows.append(f"<tr><td>{esc(row.name)}</td><td>{esc(row.version or 'local')}</td>{''.join(cells)}</tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wheel readiness</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:80em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #d0d7de;padding:.2em .5em;text-align:center;font-size:.9em}} li{{margin:.2em 0}}</style></head>
<body><h1>Wheel readiness</h1><p>on {esc(readiness.index_url)}, for Python {esc(readiness.python_version)}+</p>
<p>{summary} (ready = a wheel on every platform listed)</p>
<h2>Per package, what blocks readiness first</h2><ul>
{items}
</ul><p>{esc(NEXT_STEPS)}</p>
<h2>The matrix</h2><table><tr><th>package</th><th>version</th>{head}</tr>
{chr(10).join(rows)}
</table><p>{esc(LEGEND)}</p></body></html>
"""
