from __future__ import annotations

import pytest

from ftlab.errors import UsageError
from ftlab.lanes.interpreters import _check_duplicates, _key_line, lane_name, parse_spec
from ftlab.records import Lane


def lane(version: str, ft: bool, name: str = "", path: str = "/x") -> Lane:
    return Lane(name=name or version[:4] + ("t" if ft else ""), path=path, version=version, implementation="cpython", gil_disabled=ft)


@pytest.mark.parametrize(
    ("text", "major", "minor", "micro", "ft"),
    [("3.14", 3, 14, None, False), ("3.14t", 3, 14, None, True), ("3.13.1", 3, 13, 1, False),
     ("cpython3.13t", 3, 13, None, True), ("python3.12", 3, 12, None, False)],
)
def test_version_specs(text, major, minor, micro, ft):
    spec = parse_spec(text)
    assert (spec.major, spec.minor, spec.micro, spec.free_threaded, spec.is_path) == (major, minor, micro, ft, False)


def test_gil_spec_never_matches_free_threaded_build():
    assert parse_spec("3.13").matches(lane("3.13.0", False))
    assert not parse_spec("3.13").matches(lane("3.13.0", True))
    assert parse_spec("3.13t").matches(lane("3.13.0", True))
    assert not parse_spec("3.13t").matches(lane("3.13.0", False))
    assert not parse_spec("3.14").matches(lane("3.13.0", False))
    assert parse_spec("3.13.0").matches(lane("3.13.0", False))
    assert not parse_spec("3.13.1").matches(lane("3.13.0", False))


def test_named_and_path_specs(tmp_path):
    exe = tmp_path / "python"
    exe.write_text("")
    spec = parse_spec(f"base={exe}")
    assert (spec.name, spec.path, spec.is_path) == ("base", str(exe), True)
    assert parse_spec("ft=3.14t").name == "ft"


@pytest.mark.parametrize("bad", ["foo", "3", "3.x", "latest", "=3.14", "a b=3.14"])
def test_unknown_spec_is_one_line_usage_error(bad):
    with pytest.raises(UsageError) as err:
        parse_spec(bad)
    assert "\n" not in str(err.value)
    assert "3.14" in str(err.value)


def test_lane_name_from_fingerprint():
    assert lane_name({"version_info": [3, 14, 0], "gil_disabled": True}) == "3.14t"
    assert lane_name({"version_info": [3, 13, 1], "gil_disabled": False}) == "3.13"


def test_duplicate_lanes_rejected():
    with pytest.raises(UsageError, match=r"duplicate lane '3\.13'"):
        _check_duplicates([lane("3.13.0", False, path="/a"), lane("3.13.0", False, path="/b")])
    with pytest.raises(UsageError, match="same interpreter"):
        _check_duplicates([lane("3.13.0", False, name="a", path="/a"), lane("3.13.0", False, name="b", path="/a")])


def test_key_line_takes_error_and_deepest_cause():
    stderr = (
        "error: Failed to install cpython-3.14.10+freethreaded-linux-x86_64-gnu\n"
        "  Caused by: Request failed after 3 retries\n"
        "  Caused by: failed to lookup address information: Name or service not known\n"
    )
    assert _key_line(stderr) == (
        "error: Failed to install cpython-3.14.10+freethreaded-linux-x86_64-gnu "
        "(failed to lookup address information: Name or service not known)"
    )
