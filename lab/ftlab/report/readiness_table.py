"""The readiness matrix for a terminal: one row per pin, one column per target, colour by status.

Pure: ``readiness_table`` returns a rich renderable; ``print_readiness`` is the one function that prints.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ftlab.deps.readiness import PLATFORMS, Cell, Readiness

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
