"""Readiness for what comes next: cp315/cp315t, PEP 803's abi3t, cibuildwheel's identifiers, classifiers."""

from __future__ import annotations

import io

import pytest
from packaging.tags import Tag

from ftlab.deps.index import DistFile, Release
from ftlab.deps.lock import Pin
from ftlab.deps.readiness import Readiness, assess, package_row, parse_target, parse_targets, target_tags
from ftlab.report.readiness_table import print_readiness

T = parse_target
LINUX = "manylinux_2_28_x86_64"


def wheel(tag: str) -> tuple[DistFile, ...]:
    name = f"x-1.0-{tag}.whl"
    return (DistFile(filename=name, url=f"https://files.example/{name}"),)


@pytest.mark.parametrize("python,status", [("cp315", "wheel"), ("cp315t", "wheel"), ("cp314", "nothing"),
                                           ("cp314t", "nothing"), ("cp316t", "wheel")])
def test_an_abi3_abi3t_wheel_serves_315_and_315t_and_later(python, status):
    cell = assess(wheel(f"cp315-abi3.abi3t-{LINUX}"), T(f"{python}-manylinux_x86_64"))
    assert cell.status == status
    if python == "cp315t":
        assert cell.tag == f"cp315-abi3t-{LINUX}"
    if python == "cp315":
        assert cell.tag == f"cp315-abi3-{LINUX}"


@pytest.mark.parametrize("python", ["cp314t", "cp315t", "cp316t"])
def test_a_plain_abi3_wheel_never_serves_a_free_threaded_build(python):
    assert assess(wheel(f"cp311-abi3-{LINUX}"), T(f"{python}-manylinux_x86_64")).status == "nothing"
    assert assess(wheel(f"cp311-abi3-{LINUX}"), T(f"{python[:-1]}-manylinux_x86_64")).status == "wheel"


def test_abi3t_tags_start_with_315():
    # packaging itself offers cp314-abi3t to 3.14t; an .abi3t.so does not load there.
    assert not any(t.abi == "abi3t" for t in target_tags(T("cp314t-manylinux_x86_64")))
    cp316t = target_tags(T("cp316t-manylinux_x86_64"))
    abi3t = [t for t in cp316t if t.abi == "abi3t"]
    assert {t.interpreter for t in abi3t} == {"cp316", "cp315"}
    # Its own cp316t wheel first, then abi3t, then pure ones.
    assert cp316t.index(Tag("cp316", "cp316t", "manylinux_2_39_x86_64")) < cp316t.index(abi3t[0])
    assert not any(t.abi == "abi3" for t in cp316t)


def test_a_version_specific_wheel_is_preferred_to_abi3t():
    files = wheel(f"cp315-abi3.abi3t-{LINUX}") + wheel(f"cp315-cp315t-{LINUX}")
    assert assess(files, T("cp315t-manylinux_x86_64")).tag == f"cp315-cp315t-{LINUX}"


@pytest.mark.parametrize("ident,name", [
    ("cp314t-manylinux_x86_64", "cp314t-manylinux_x86_64"),
    ("cp314-macosx_arm64", "cp314-macos_arm64"),
    ("cp315t-macosx_x86_64", "cp315t-macos_x86_64"),
    ("cp314t-win_arm64", "cp314t-win_arm64"),
    ("cp314-manylinux_i686", "cp314-manylinux_i686"),
    ("cp314t-musllinux_ppc64le", "cp314t-musllinux_ppc64le"),
    ("cp314-macosx_universal2", "cp314-macosx_universal2"),
    ("cp314-win32", "cp314-win32"),
])
def test_cibuildwheel_identifiers_are_targets(ident, name):
    target = T(ident)
    assert target.name == name
    assert target_tags(target)  # something an installer there would accept


def test_the_table_shows_abi3t_and_classifiers_as_declared():
    targets = parse_targets(["cp315-manylinux_x86_64", "cp315t-manylinux_x86_64", "cp314t-manylinux_x86_64"])
    declared = ("Programming Language :: Python :: Free Threading :: 2 - Beta",)
    release = Release(name="x", version="1.0", files=wheel(f"cp315-abi3.abi3t-{LINUX}"), classifiers=declared)
    row = package_row(Pin(name="x", version="1.0"), release, targets)
    readiness = Readiness(targets=targets, packages=(row,), index_url="https://index.example/simple",
                          python_version="3.14")
    buf = io.StringIO()
    print_readiness(readiness, buf)
    text = buf.getvalue()
    assert "2 - Beta" in text
    cells = next(ln for ln in text.splitlines() if ln.startswith("│x ")).replace("│", " ").split()
    assert cells[-3:] == ["abi3", "abi3t", "none"], text
    assert readiness.to_json()["packages"][0]["classifiers"] == list(declared)
