"""Import errors that only an optional extra would fix are optional dependencies (pure functions).

black's ``blackd`` is the measured case: without the ``d`` extra's aiohttp it raises
``ImportError("aiohttp dependency is not installed: ...") from None``, a chain with no
ModuleNotFoundError to read; black's metadata says ``Requires-Dist: aiohttp>=3.10; extra == "d"``.
"""

from __future__ import annotations

from ftlab_probes.runtime.imports.discovery import extra_only_requirements
from ftlab_probes.runtime.imports.failures import extra_needed, judge_failures
from ftlab_probes.runtime.imports.signals import build_signals

#: black 25.x's Requires-Dist lines.
BLACK_REQUIRES = [
    "click>=8.0.0",
    "mypy_extensions>=0.4.3",
    "packaging>=22.0",
    "pathspec>=0.9.0",
    "platformdirs>=2",
    "tomli>=1.1.0; python_version < \"3.11\"",
    "typing_extensions>=4.0.1; python_version < \"3.11\"",
    "colorama>=0.4.3; extra == \"colorama\"",
    "uvloop>=0.15.2; extra == \"uvloop\"",
    "aiohttp>=3.10; extra == \"d\"",
    "ipython>=7.8.0; extra == \"jupyter\"",
    "tokenize-rt>=3.2.0; extra == \"jupyter\"",
]
BLACKD_MESSAGE = (
    "aiohttp dependency is not installed: No module named 'aiohttp'. "
    "Please re-install black with the '[d]' extra install to get it."
)
PROVIDED = {"black": "package", "black.nodes": "module", "blackd": "package", "blackd.middlewares": "module"}


def row(module, message, not_found=(), error_type="ImportError"):
    return {"module": module, "distribution": "black", "kind": "module", "outcome": "import-error",
            "error": {"type": error_type, "message": message, "traceback": "", "not_found": list(not_found)},
            "scope": None, "needs": [], "missing_kind": None, "exit_status": 0, "output_tail": "",
            "artifact": None, "signal": None, "faulthandler": None, "batch_death": None}


def test_requirements_only_an_extra_asks_for():
    assert extra_only_requirements(BLACK_REQUIRES, "black") == {
        "aiohttp": ["d"], "colorama": ["colorama"], "ipython": ["jupyter"], "tokenize-rt": ["jupyter"],
        "uvloop": ["uvloop"],
    }


def test_a_requirement_also_needed_unconditionally_or_the_distribution_itself_is_not_optional():
    requires = ["numpy>=1.16", "numpy>=2; extra == 'fast'", "polars[pyarrow]; extra == \"pandas\"",
                "tzdata; platform_system == \"Windows\" and extra == \"timezone\"", "Foo_Bar; extra=='x'"]
    assert extra_only_requirements(requires, "polars") == {"foo-bar": ["x"], "tzdata": ["timezone"]}


def test_blackd_without_aiohttp_is_an_optional_dependency_of_the_d_extra():
    rows = [row("blackd", BLACKD_MESSAGE), row("blackd.middlewares", BLACKD_MESSAGE)]
    judge_failures(rows, {"black": PROVIDED}, {"black": {"aiohttp": ["d"], "uvloop": ["uvloop"]}})
    assert [(r["outcome"], r["needs"], r["missing_kind"], r["extras"]) for r in rows] == [
        ("optional-dependency", ["aiohttp"], "extra", ["d"])] * 2
    (sig,) = build_signals(rows)
    assert sig["kind"] == "optional-dependency" and sig["evidence"]["also_failing"] == ["blackd.middlewares"]
    assert sig["summary"] == "'blackd' needs 'aiohttp', which only an optional extra installs (black[d])"
    assert sig["evidence"]["extras"] == ["d"] and sig["evidence"]["missing_kind"] == "extra"


def test_a_missing_module_named_by_the_chain_matches_the_requirement_name():
    missing = [{"name": "tokenize_rt.sub", "via": "ModuleNotFoundError"}]
    assert extra_needed({"message": "m", "not_found": missing}, {"tokenize-rt": ["jupyter"]}) == (
        "tokenize-rt", ["jupyter"])


def test_an_error_naming_no_extra_requirement_stays_an_import_error():
    rows = [row("blackd", "cannot import name 'x' from 'black.nodes'")]
    judge_failures(rows, {"black": PROVIDED}, {"black": {"aiohttp": ["d"]}})
    assert rows[0]["outcome"] == "import-error"
    # A word inside another name is not the requirement.
    assert extra_needed({"message": "no module named 'aiohttp_cors'"}, {"aiohttp": ["d"]}) is None
    assert extra_needed({"message": "x"}, None) is None


def test_a_stdlib_module_the_interpreter_was_built_without_is_the_interpreters():
    # pyzstd on a 3.14t built without libzstd's headers fails with "No module named '_zstd'"; the same
    # holds for any standard-library extension a build leaves out (_lzma is in every lane's list, as the
    # 3.14-only _zstd is not in this host's).
    failed = row("backports_lzma", "No module named '_lzma'", [{"name": "_lzma", "via": "import"}],
                 "ModuleNotFoundError")
    failed["distribution"] = "backports-lzma"
    (judged,) = judge_failures([failed], {"backports-lzma": {"backports_lzma": "package"}})
    assert judged["outcome"] == "optional-dependency" and judged["missing_kind"] == "interpreter"
    assert judged["needs"] == ["_lzma"]
