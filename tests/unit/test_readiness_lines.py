"""Readiness for people: one line per package, blocking first, every line within 120 columns with no
word cut, for a 60-pin tree rendered from index files written here (no network)."""

from __future__ import annotations

import io
import re

from ftlab.deps.index import DistFile, Release
from ftlab.deps.lock import Pin
from ftlab.deps.readiness import Readiness, package_row, parse_targets
from ftlab.report.readiness_table import LINE_WIDTH, print_readiness_lines, readiness_html, readiness_lines

TARGETS = parse_targets(None)  # cp314, cp314t, cp315, cp315t on five platforms: 20 targets
ALL_PLATFORMS = ("manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_17_aarch64.manylinux2014_aarch64",
                 "musllinux_1_2_x86_64", "macosx_11_0_arm64", "win_amd64")


def _files(name: str, version: str, kind: str) -> tuple[DistFile, ...]:
    stem = f"{name.replace('-', '_')}-{version}"
    sdist = (DistFile(filename=f"{stem}.tar.gz", url="u"),)
    if kind == "native":  # cp314 and cp314t everywhere, nothing for 3.15 but the sdist
        return tuple(DistFile(filename=f"{stem}-cp314-{abi}-{p}.whl", url="u")
                     for abi in ("cp314", "cp314t") for p in ALL_PLATFORMS) + sdist
    if kind == "gil-only":  # a cp314 wheel on Linux x86_64 only
        return (DistFile(filename=f"{stem}-cp314-cp314-{ALL_PLATFORMS[0]}.whl", url="u"), *sdist)
    if kind == "pure":
        return (DistFile(filename=f"{stem}-py3-none-any.whl", url="u"),)
    if kind == "abi3":
        return tuple(DistFile(filename=f"{stem}-cp311-abi3-{p}.whl", url="u") for p in ALL_PLATFORMS) + sdist
    return sdist  # sdist-only


def tree(n: int = 60) -> Readiness:
    kinds = ("native", "gil-only", "pure", "abi3", "sdist-only")
    rows = []
    for i in range(n):
        # Long names and "via" chains, as real trees have (opentelemetry-exporter-otlp-proto-grpc, ...).
        name = f"package-with-a-rather-long-name-number-{i:02d}" if i % 3 == 0 else f"pkg{i:02d}"
        via = (f"pulled-in-by-something-long-{i - 1:02d}", "another") if i % 4 == 1 else ()
        pin = Pin(name=name, version=f"{i}.0.{i}", via=via)
        files = _files(name, pin.version, kinds[i % len(kinds)])
        classifiers = ("Programming Language :: Python :: Free Threading :: 3 - Stable",) if i % 7 == 0 else ()
        rows.append(package_row(pin, Release(name=name, version=pin.version, files=files, classifiers=classifiers),
                                TARGETS))
    return Readiness(targets=TARGETS, packages=tuple(rows), index_url="https://pypi.org/simple", python_version="3.14")


def test_a_60_pin_tree_fits_120_columns_without_cutting_a_word():
    readiness = tree()
    lines = [text for text, _ in readiness_lines(readiness)]
    assert all(len(ln) <= LINE_WIDTH for ln in lines), max(lines, key=len)
    for row in readiness.packages:  # every name appears whole, at the start of its own line
        assert sum(ln.startswith(f"{row.name} {row.version}") for ln in lines) == 1, row.name
    # Wrapping only moved words between lines: the words are the same as in the unwrapped text.
    out = io.StringIO()
    print_readiness_lines(readiness, out)
    printed = out.getvalue().splitlines()
    assert all(len(ln) <= LINE_WIDTH for ln in printed)
    assert " ".join(" ".join(printed).split()) == " ".join(" ".join(lines).split())


def _entries(lines: list[str]) -> list[str]:
    """Each package's line with its continuation lines joined back."""
    out: list[str] = []
    for ln in lines:
        if ln.startswith("    ") and out:
            out[-1] += " " + ln.strip()
        else:
            out.append(ln)
    return out


def test_targets_are_grouped_and_blocking_packages_come_first():
    lines = [text for text, _ in readiness_lines(tree(10))]
    text = "\n".join(lines)
    assert "cp314: 6/10 ready  cp314t: 4/10 ready" in text
    body = [ln for ln in _entries(lines) if re.match(r"^(pkg|package-)", ln)]
    # sdist only on every Python first; pure Python (ready everywhere) last.
    assert body[0] == "pkg04 4.0.4: cp314, cp314t, cp315, cp315t: sdist only"
    assert body[-1].endswith("cp314, cp314t, cp315, cp315t: pure Python")
    native = next(ln for ln in body if ln.startswith("package-with-a-rather-long-name-number-00"))
    assert "cp315, cp315t: sdist only; cp314, cp314t: wheels on 5/5 platforms" in native
    assert "[declares Free Threading: 3 - Stable]" in native
    gil_only = next(ln for ln in body if ln.startswith("pkg01"))
    assert "(via pulled-in-by-something-long-00 +1)" in gil_only
    assert "cp314: wheels on 1/5 platforms (sdist on linux-aarch64, musl-x86_64, macOS-arm64, win_amd64)" in gil_only
    assert "wheels on 5/5 platforms (abi3)" in text


def test_the_html_page_has_the_lines_and_the_matrix():
    page = readiness_html(tree(10))
    assert page.startswith("<!doctype html>") and page.count("<li ") == 10
    assert page.count("<tr>") == 11  # header and one row per package
    assert "<b>cp314t</b>: 4/10 ready" in page
