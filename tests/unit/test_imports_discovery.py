"""Which modules the import check imports: files -> names and kinds, exclusions, the budget."""

from __future__ import annotations

import pytest

from ftlab_probes.runtime.imports.check import BATCH_SIZE, MODULE_TIMEOUT_S, read_options
from ftlab_probes.runtime.imports.check import run as run_imports
from ftlab_probes.runtime.imports.discovery import (
    MODULE_BUDGET,
    discover_distribution,
    exclusion_reason,
    modules_from_files,
    select_modules,
)

SUFFIXES_313 = [".cpython-313-x86_64-linux-gnu.so", ".abi3.so", ".so"]
SUFFIXES_314T = [".cpython-314t-x86_64-linux-gnu.so", ".so"]

# PyYAML 6.0.2's RECORD for CPython 3.13 (abridged): the distribution is "PyYAML", the imports
# are "yaml" and "_yaml", and the extension lives inside the package.
PYYAML_RECORD = [
    "PyYAML-6.0.2.dist-info/INSTALLER",
    "PyYAML-6.0.2.dist-info/METADATA",
    "PyYAML-6.0.2.dist-info/RECORD",
    "PyYAML-6.0.2.dist-info/top_level.txt",
    "_yaml/__init__.py",
    "_yaml/__pycache__/__init__.cpython-313.pyc",
    "yaml/__init__.py",
    "yaml/__pycache__/__init__.cpython-313.pyc",
    "yaml/_yaml.cpython-313-x86_64-linux-gnu.so",
    "yaml/composer.py",
    "yaml/cyaml.py",
]


def test_pyyaml_record():
    modules, namespaces = modules_from_files(PYYAML_RECORD, SUFFIXES_313)
    assert modules == {
        "_yaml": "package",
        "yaml": "package",
        "yaml._yaml": "extension",
        "yaml.composer": "module",
        "yaml.cyaml": "module",
    }
    assert namespaces == []


def test_abi3_and_plain_so_extensions():
    modules, _ = modules_from_files(["pkg/__init__.py", "pkg/_a.abi3.so", "pkg/_b.so"], SUFFIXES_313)
    assert modules == {"pkg": "package", "pkg._a": "extension", "pkg._b": "extension"}


def test_extension_built_for_another_interpreter_is_not_a_module():
    paths = [
        "pkg/__init__.py",
        "pkg/_c.cpython-311-x86_64-linux-gnu.so",
        "pkg/_c.cpython-314t-x86_64-linux-gnu.so",
    ]
    assert modules_from_files(paths, SUFFIXES_313)[0] == {"pkg": "package"}
    assert modules_from_files(paths, SUFFIXES_314T)[0] == {"pkg": "package", "pkg._c": "extension"}


def test_namespace_packages_are_listed_and_their_modules_found():
    paths = ["google/protobuf/__init__.py", "google/protobuf/message.py", "google/_upb/_message.abi3.so"]
    modules, namespaces = modules_from_files(paths, SUFFIXES_313)
    assert modules == {
        "google.protobuf": "package",
        "google.protobuf.message": "module",
        "google._upb._message": "extension",
    }
    assert namespaces == ["google", "google._upb"]


def test_scripts_metadata_data_and_stubs_are_ignored():
    paths = [
        "../../bin/tool",
        "../../bin/tool.py",
        "pkg-1.0.data/scripts/x.py",
        "pkg-1.0.dist-info/METADATA",
        "pkg/py.typed",
        "pkg/__init__.pyi",
        "pkg/some-data.py",
        "__editable___pkg_1_0_finder.py",
        "__editable__.pkg-1.0.pth",
        "top.py",
    ]
    assert modules_from_files(paths, SUFFIXES_313)[0] == {"top": "module"}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pkg.tests", "tests"),
        ("pkg.tests.test_x", "tests"),
        ("pkg.test", "tests"),
        ("numpy.testing", "tests"),
        ("conftest", "tests"),
        ("pip._vendor.rich", "vendored"),
        ("setuptools.extern", "vendored"),
        ("pkg._vendored.six", "vendored"),
        ("pkg.vendored", "vendored"),
        ("pkg.__main__", "__main__"),
        ("pkg.testing_utils", None),
        ("pkg.contest", None),
        ("pkg", None),
    ],
)
def test_exclusion_reasons(name, reason):
    assert exclusion_reason(name) == reason


def test_exclusions_can_be_switched_off_but_main_never():
    assert exclusion_reason("pkg.tests", exclude_tests=False) is None
    assert exclusion_reason("pkg._vendor.x", exclude_vendored=False) is None
    assert exclusion_reason("pkg.__main__", False, False) == "__main__"


def test_budget_keeps_top_level_then_extensions_and_records_the_cut():
    modules = {
        "pkg": "package",
        "pkg.a": "module",
        "pkg.b": "module",
        "pkg.z._ext": "extension",
        "other": "module",
    }
    modules["pkg.tests"] = "package"
    selected, excluded, dropped = select_modules(modules, budget=4)
    assert selected == [
        ("other", "module"),
        ("pkg", "package"),
        ("pkg.z._ext", "extension"),
        ("pkg.a", "module"),
    ]
    assert excluded == [{"module": "pkg.tests", "reason": "tests"}]
    assert dropped == ["pkg.b"]


def test_no_budget():
    modules = {f"m{i}": "module" for i in range(300)}
    selected, _, dropped = select_modules(modules, budget=None)
    assert len(selected) == 300 and dropped == []


def test_installed_distribution_is_discovered_from_its_record():
    # pytest itself is installed where the tests run: a real RECORD, a dist name ("pytest") that
    # provides two top-level names ("pytest" and "_pytest"), and tests-free modules.
    info = discover_distribution("pytest", SUFFIXES_313)
    assert info["found"] and info["source"] == "RECORD"
    assert info["modules"]["pytest"] == "package"
    assert info["modules"]["_pytest"] == "package"
    assert "_pytest.assertion.rewrite" in info["modules"]


def test_missing_distribution():
    info = discover_distribution("ftlab-no-such-distribution", SUFFIXES_313)
    assert info == {
        "name": "ftlab-no-such-distribution",
        "found": False,
        "version": None,
        "source": None,
        "modules": {},
        "namespaces": [],
    }


def test_options_defaults_and_subject_fallback():
    opts = read_options(
        {"subject": {"name": "PyYAML", "kind": "pypi", "spec": "PyYAML"}, "options": {}}
    )
    assert opts == {
        "distributions": ["PyYAML"],
        "modules": [],
        "exclude_tests": True,
        "exclude_vendored": True,
        "module_budget": MODULE_BUDGET,
        "module_timeout_s": MODULE_TIMEOUT_S,
        "batch_size": BATCH_SIZE,
        "isolate_extensions": False,
        "gil": None,
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "names no distributions or modules"),
        ({"modules": ["x"], "gil": "1"}, "option gil must be null or"),
        ({"modules": ["x"], "module_budget": 0}, "module_budget must be a positive integer"),
        ({"modules": ["x"], "module_timeout_s": -1}, "module_timeout_s must be positive"),
        ({"modules": ["x"], "batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_bad_options_say_what_is_wrong(options, message):
    with pytest.raises(ValueError, match=message):
        read_options({"options": options})


def test_forced_gil_is_refused_on_a_gil_build():
    # The host never asks for this; the child refuses anyway instead of starting children that would
    # die with "Disabling the GIL is not supported by this build".
    import sysconfig

    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        pytest.skip("this interpreter is a free-threaded build")
    out = run_imports({"job_id": "x", "options": {"modules": ["json"], "gil": "0"}})
    assert out["status"] == "error"
    assert "needs a free-threaded build" in out["data"]["error"]
    assert out["data"]["modules"] == [] and out["signals"] == []


def _fake_site(root, dist_info, files):
    for rel, text in {**files, **{f"{dist_info}/{k}": v for k, v in _meta(dist_info).items()}}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _meta(dist_info):
    name = dist_info.split("-")[0]
    return {"METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n"}


def test_without_record_modules_come_from_top_level_txt(tmp_path, monkeypatch):
    # Old installs (and some editable ones) have no RECORD; the files are walked without importing.
    site = _fake_site(
        tmp_path,
        "ftfake_one-1.0.dist-info",
        {
            "ftfake_one-1.0.dist-info/top_level.txt": "ftfake_pkg\n",
            "ftfake_pkg/__init__.py": "raise RuntimeError('discovery must not import')\n",
            "ftfake_pkg/sub/__init__.py": "",
            "ftfake_pkg/sub/mod.py": "",
            "ftfake_pkg/_speed.cpython-313-x86_64-linux-gnu.so": "",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    info = discover_distribution("ftfake-one", SUFFIXES_313)
    assert info["found"] and info["source"] == "top_level.txt"
    assert info["modules"] == {
        "ftfake_pkg": "package",
        "ftfake_pkg.sub": "package",
        "ftfake_pkg.sub.mod": "module",
        "ftfake_pkg._speed": "extension",
    }


def test_without_record_or_top_level_the_name_is_the_guess(tmp_path, monkeypatch):
    site = _fake_site(tmp_path, "ftfake_two-1.0.dist-info", {"ftfake_two.py": ""})
    monkeypatch.syspath_prepend(str(site))
    info = discover_distribution("ftfake.two", SUFFIXES_313)
    assert info["source"] == "name" and info["modules"] == {"ftfake_two": "module"}
