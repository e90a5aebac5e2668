"""Reading uv's output: failure classes and wheel tags, on uv's exact words."""

from __future__ import annotations

import pytest

from ftlab.deps.lock import Lock, Pin
from ftlab.lanes.envs import _chosen_file, classify, closure, pin_applies, wheel_tag
from ftlab.records import Lane

UV_NO_WHEEL = """Using Python 3.12.1 environment at: vv
error: No solution found when resolving dependencies
  cause: Because pyyaml==5.4.1 has no usable wheels and you require pyyaml==5.4.1, we can conclude that your requirements are unsatisfiable.

hint: Wheels are required for `pyyaml` because building from source is disabled for all packages (i.e., with `--no-build`)
"""
UV_NO_RELEASE = """error: No solution found when resolving dependencies
  cause: Because there is no version of pyyaml==99 and you require pyyaml==99, we can conclude that your requirements are unsatisfiable.
"""
UV_HEADER = """   Building needs-header==1.0
  x Failed to build `needs-header==1.0`
  |-> The build backend returned an error
      ext.c:1:10: fatal error: nonexistent_ftlab.h: No such file or directory
          1 | #include <nonexistent_ftlab.h>
      compilation terminated.
"""
UV_BACKEND = """  x Failed to build `build-fails==1.0`
  |-> The build backend returned an error
  `-> Call to `backend.build_wheel` failed (exit status: 1)
      RuntimeError: setup.py: deliberate build failure
"""
UV_RUST = """error: Failed to build `orjson==3.13.0`
  cause: The build backend returned an error
  cause: Call to `maturin.build_wheel` failed (exit status: 1)
         [stderr]
         error: rustup could not choose a version of cargo to run, because one wasn't specified explicitly
         Caused by: Cargo metadata failed. Does your crate compile with `cargo build`?
"""
UV_OFFLINE = """error: Failed to fetch: `http://127.0.0.1:9/simple/pure-pkg/`
  Caused by: Request failed after 3 retries
  Caused by: error sending request for url (http://127.0.0.1:9/simple/pure-pkg/)
  Caused by: client error (Connect)
  Caused by: tcp connect error: Connection refused (os error 111)
"""


@pytest.mark.parametrize(
    ("log", "cls", "needle"),
    [(UV_NO_WHEEL, "no-wheel", "has no usable wheels"), (UV_NO_RELEASE, "resolution-conflict", "no version of pyyaml==99"),
     (UV_HEADER, "missing-compiler-or-headers", "nonexistent_ftlab.h"),
     (UV_BACKEND, "build-backend-error", "RuntimeError: setup.py: deliberate build failure"),
     (UV_RUST, "missing-compiler-or-headers", "rustup could not choose a version of cargo"),
     (UV_OFFLINE, "index-unreachable", "127.0.0.1:9")],
)
def test_classify(log, cls, needle):
    got, key = classify(log)
    assert got == cls
    assert needle in key and "\n" not in key


def test_unknown_failure_keeps_last_line():
    assert classify("DEBUG x\nsomething odd happened\n") == ("other", "something odd happened")


def test_chosen_file_and_tag():
    log = ("DEBUG Selecting: pyyaml==6.0.3 [compatible] "
           "(pyyaml-6.0.3-cp314-cp314t-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)\n")
    chosen = _chosen_file(log, "PyYAML")
    assert wheel_tag(chosen) == "cp314-cp314t-manylinux2014_x86_64.manylinux_2_17_x86_64"
    assert wheel_tag("pkg-1.0-py3-none-any.whl") == "py3-none-any"
    assert wheel_tag("pkg-1.0.tar.gz") == ""


def test_chosen_file_is_the_pins_own_not_its_build_requirements():
    # zstandard built from its sdist on 3.14t: uv's log selects the build's requirements after it.
    log = ("DEBUG Selecting: zstandard==0.25.0 [compatible] (zstandard-0.25.0.tar.gz)\n"
           "DEBUG Selecting: cffi==2.1.1 [compatible] (cffi-2.1.1-cp314-cp314t-manylinux2014_x86_64.whl)\n"
           "DEBUG Selecting: pycparser==3.12 [compatible] (pycparser-3.12-py3-none-any.whl)\n")
    assert _chosen_file(log, "zstandard") == "zstandard-0.25.0.tar.gz"
    assert _chosen_file(log, "Py_Cparser") == ""


def test_markers_evaluated_for_the_lane():
    lane = Lane(name="3.13", path="/x", version="3.13.0", implementation="cpython")
    assert pin_applies(Pin(name="a", version="1", markers="python_version >= '3.13'"), lane)
    assert not pin_applies(Pin(name="a", version="1", markers="python_version < '3.11'"), lane)
    assert not pin_applies(Pin(name="a", version="1", markers="sys_platform == 'win32'"), lane)


def test_closure_follows_via():
    pins = (Pin(name="a", version="1"), Pin(name="b", version="1", via=("a",)), Pin(name="c", version="1", via=("b",)),
            Pin(name="d", version="1"))
    lock = Lock(pins=pins, text="", index_url="", python_version="3.14")
    assert {p.name for p in closure(lock, "a")} == {"a", "b", "c"}
    assert {p.name for p in closure(lock, "d")} == {"d"}


def test_an_index_page_without_the_locked_release_is_asked_for_again():
    from ftlab.deps.lock import Pin
    from ftlab.lanes.envs import _index_lost_pin

    stale = ("error: No solution found when resolving dependencies\n  cause: Because there is no version of "
             "pandas==3.1.2 and you require pandas==3.1.2, we can conclude that your requirements are unsatisfiable.")
    assert _index_lost_pin(stale, Pin(name="pandas", version="3.1.2"))
    assert not _index_lost_pin(stale, Pin(name="pandas", version="3.1.1"))
    assert not _index_lost_pin("error: Failed to build `pandas==3.1.2`", Pin(name="pandas", version="3.1.2"))
