"""Readiness, the pure part: target tags, matching files to targets, markers, summaries, JSON, rendering."""

from __future__ import annotations

import io

import pytest
from packaging.tags import Tag

from ftlab.deps.index import DistFile, Release
from ftlab.deps.lock import Pin
from ftlab.deps.readiness import (
    DEFAULT_TARGETS,
    FORMAT,
    Readiness,
    assess,
    package_row,
    parse_target,
    parse_targets,
    target_tags,
)
from ftlab.errors import UsageError
from ftlab.report.readiness_table import print_readiness

T = parse_target


def files(*names: str, requires_python: str | None = None) -> tuple[DistFile, ...]:
    return tuple(DistFile(filename=n, url=f"https://files.example/{n}", requires_python=requires_python)
                 for n in names)


def test_default_targets_are_today_and_next():
    targets = parse_targets(None)
    assert [t.name for t in targets] == list(DEFAULT_TARGETS)
    assert {t.python for t in targets} == {"cp314", "cp314t", "cp315", "cp315t"}
    assert len(targets) == 20


def test_target_specs_accept_commas_and_dotted_versions():
    got = parse_targets(["3.14t-win_amd64,cp314-macos_arm64", "cp314t-win_amd64"])
    assert [t.name for t in got] == ["cp314t-win_amd64", "cp314-macos_arm64"]


@pytest.mark.parametrize("spec,match", [
    ("cp314t", "is not PYTHON-PLATFORM"),
    ("py3-manylinux_x86_64", "is not PYTHON-PLATFORM"),
    ("cp314t-manylinx_x86_64", "did you mean 'manylinux_x86_64'"),
])
def test_bad_target_specs(spec, match):
    with pytest.raises(UsageError, match=match):
        parse_target(spec)


def test_abi3_counts_for_cp314_but_never_for_cp314t():
    cp314, cp314t = target_tags(T("cp314-manylinux_x86_64")), target_tags(T("cp314t-manylinux_x86_64"))
    assert Tag("cp311", "abi3", "manylinux_2_17_x86_64") in cp314
    assert not any(t.abi == "abi3" for t in cp314t)
    assert cp314t[0] == Tag("cp314", "cp314t", "manylinux_2_39_x86_64")
    assert Tag("cp314", "cp314", "manylinux_2_17_x86_64") not in cp314t


def test_platform_tag_lists():
    linux = {t.platform for t in target_tags(T("cp314t-manylinux_aarch64"))}
    assert {"manylinux_2_39_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64", "any"} <= linux
    assert "manylinux_2_40_aarch64" not in linux and not any("x86_64" in p for p in linux)
    musl = {t.platform for t in target_tags(T("cp314-musllinux_x86_64"))}
    assert {"musllinux_1_2_x86_64", "musllinux_1_1_x86_64"} <= musl and not any("manylinux" in p for p in musl)
    mac = {t.platform for t in target_tags(T("cp314t-macos_arm64"))}
    assert {"macosx_11_0_arm64", "macosx_15_0_arm64", "macosx_26_0_arm64", "macosx_11_0_universal2"} <= mac
    assert "macosx_10_9_x86_64" not in mac
    win = {t.platform for t in target_tags(T("cp314-win_amd64"))}
    assert win == {"win_amd64", "any"}


def test_a_concrete_glibc_in_the_target_caps_the_manylinux_list():
    plats = {t.platform for t in target_tags(T("cp314t-manylinux_2_28_x86_64"))}
    assert "manylinux_2_28_x86_64" in plats and "manylinux_2_29_x86_64" not in plats


def test_assess_statuses():
    mixed = files(
        "pkg-1.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "pkg-1.0.tar.gz",
    )
    assert assess(mixed, T("cp314-manylinux_x86_64")).status == "wheel"
    assert assess(mixed, T("cp314-manylinux_x86_64")).tag == "cp311-abi3-manylinux_2_17_x86_64"
    assert assess(mixed, T("cp314t-manylinux_x86_64")).status == "sdist-only"
    assert assess(mixed, T("cp314t-manylinux_x86_64")).file == "pkg-1.0.tar.gz"
    assert assess(mixed[:1], T("cp314t-manylinux_x86_64")).status == "nothing"
    assert assess(mixed, T("cp314-win_amd64")).status == "sdist-only"
    assert assess(files("pkg-1.0-py3-none-any.whl"), T("cp314t-win_amd64")).status == "pure"
    assert assess((), T("cp314t-win_amd64")).status == "nothing"


def test_a_platform_wheel_beats_a_pure_one_and_the_newest_manylinux_wins():
    fs = files(
        "pkg-1.0-py3-none-any.whl",
        "pkg-1.0-cp314-cp314t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "pkg-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl",
    )
    cell = assess(fs, T("cp314t-manylinux_x86_64"))
    assert (cell.status, cell.file) == ("wheel", "pkg-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl")
    assert assess(fs, T("cp314-manylinux_x86_64")).status == "pure"


def test_wheels_for_other_pythons_do_not_count():
    fs = files("pkg-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", "pkg-1.0-cp315-cp315t-manylinux_2_17_x86_64.whl")
    assert assess(fs, T("cp314t-manylinux_x86_64")).status == "nothing"


def test_requires_python_excludes_files():
    assert assess(files("pkg-1.0-py3-none-any.whl", requires_python="<3.14"), T("cp314-win_amd64")).status == "nothing"
    assert assess(files("pkg-1.0-py3-none-any.whl", requires_python=">=3.10"), T("cp314-win_amd64")).status == "pure"
    assert assess(files("pkg-1.0-py3-none-any.whl", requires_python="not a spec"), T("cp314-win_amd64")).status == "pure"


def _readiness() -> Readiness:
    targets = parse_targets(["cp314-manylinux_x86_64", "cp314t-manylinux_x86_64", "cp314t-win_amd64"])
    pins = [
        (Pin(name="fast", version="1.0"), files("fast-1.0-cp314-cp314t-manylinux_2_17_x86_64.whl",
                                              "fast-1.0-cp314-cp314-manylinux_2_17_x86_64.whl",
                                              "fast-1.0-cp314-cp314t-win_amd64.whl")),
        (Pin(name="stable", version="2.0", via=("fast",)), files("stable-2.0-cp311-abi3-manylinux_2_17_x86_64.whl",
                                                                  "stable-2.0.tar.gz")),
        (Pin(name="colorama", version="0.4.6", markers="sys_platform == 'win32'"),
         files("colorama-0.4.6-py2.py3-none-any.whl")),
    ]
    rows = tuple(package_row(p, Release(name=p.name, version=p.version, files=fs, classifiers=()), targets)
                 for p, fs in pins)
    return Readiness(targets=targets, packages=rows, index_url="https://pypi.org/simple", python_version="3.14")


def test_markers_make_a_pin_not_needed_on_other_platforms():
    r = _readiness()
    assert r.cell("colorama", "cp314t-manylinux_x86_64").status == "not-needed"
    assert r.cell("colorama", "cp314t-win_amd64").status == "pure"


def test_summary_counts_and_json_shape():
    doc = _readiness().to_json()
    assert doc["format"] == FORMAT == "ftlab-readiness/1"
    assert doc["targets"] == ["cp314-manylinux_x86_64", "cp314t-manylinux_x86_64", "cp314t-win_amd64"]
    stable = next(p for p in doc["packages"] if p["name"] == "stable")
    assert stable["via"] == ["fast"] and stable["classifiers"] == []
    assert stable["cells"]["cp314t-manylinux_x86_64"] == {"status": "sdist-only", "file": "stable-2.0.tar.gz", "tag": None}
    assert stable["cells"]["cp314t-win_amd64"]["status"] == "sdist-only"
    lin = doc["summary"]["targets"]["cp314t-manylinux_x86_64"]
    assert (lin["ready"], lin["needed"], lin["wheel"], lin["sdist-only"], lin["not-needed"]) == (1, 2, 1, 1, 1)
    assert doc["summary"]["targets"]["cp314-manylinux_x86_64"]["ready"] == 2
    # cp314t: fast is ready everywhere; stable is not; colorama is ready where needed (Windows).
    assert doc["summary"]["pythons"] == {"cp314": {"ready": 2, "needed": 2}, "cp314t": {"ready": 2, "needed": 3}}


def test_local_project_pins_are_local_and_not_counted():
    targets = parse_targets(["cp314t-win_amd64"])
    row = package_row(Pin(name="mine", version=None, url="file:///src/mine"), None, targets)
    assert row.cells[0].status == "local"
    r = Readiness(targets=targets, packages=(row,), index_url="x", python_version="3.14")
    assert r.target_summary(0)["needed"] == 0 and r.all_ready


def test_a_remote_wheel_url_pin_is_assessed_from_its_filename():
    targets = parse_targets(["cp314t-win_amd64", "cp314-win_amd64"])
    row = package_row(Pin(name="x", version=None, url="https://h.example/x-1-cp311-abi3-win_amd64.whl"), None, targets)
    assert [c.status for c in row.cells] == ["nothing", "wheel"]


def test_table_shows_statuses_legend_and_summary_line():
    buf = io.StringIO()
    print_readiness(_readiness(), buf)
    text = buf.getvalue()
    assert "cp314t: 2/3 ready" in text and "cp314: 2/2 ready" in text
    assert "sdist" in text and "abi3" in text and "wheel" in text and "pure" in text
    assert "stable <- fast" in text
    assert "\x1b[" not in text  # no colour codes when not a terminal
