"""Only Python modules are imported: a shared object that defines no ``PyInit_<name>`` is a plain
library (pycryptodome's ``_Salsa20_avx2_bmi2``, loaded with ctypes), counted and named, never imported.

The ELF reader runs on libraries gcc builds here; the import check runs on ``extensions/imports/ctypeslib``
(two plain libraries and one real extension in a package) and, marked ``network``, on pycryptodome
from PyPI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ftlab_probes.runtime.imports.elf import is_extension_module
from tests.support.lanes import (
    FT_SKIP_REASON,
    REPO_ROOT,
    cached_json,
    ft_python,
    lane_venv,
    py314,
    run_probe,
    session_cache_root,
)

FIXTURE = REPO_ROOT / "extensions" / "imports" / "ctypeslib"
PLAIN = ["ftfix_ctypeslib._raw_add", "ftfix_ctypeslib._raw_add_avx2"]
NO_EXPORT = "does not define module export function"

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")


def gcc_shared(tmp_path: Path, name: str, source: str, *flags: str) -> Path:
    src, out = tmp_path / f"{name}.c", tmp_path / f"{name}.so"
    src.write_text(source)
    subprocess.run(["gcc", "-shared", "-fPIC", *flags, "-o", str(out), str(src)], check=True, timeout=60)
    return out


@needs_gcc
def test_a_plain_library_defines_no_module_export(tmp_path):
    lib = gcc_shared(tmp_path, "_salsa", "int salsa20_encrypt(int x) { return x ^ 20; }\n")
    assert is_extension_module(str(lib), "Crypto.Cipher._salsa") is False


@needs_gcc
def test_a_defined_pyinit_makes_a_module_even_stripped(tmp_path):
    lib = gcc_shared(tmp_path, "_speed", "void *PyInit__speed(void) { return 0; }\n", "-s")
    assert is_extension_module(str(lib), "pkg._speed") is True
    # The hook is looked up by the module's own (last) name.
    assert is_extension_module(str(lib), "pkg._other") is False


@needs_gcc
def test_a_pyinit_only_referenced_is_not_defined(tmp_path):
    source = "extern void *PyInit__caller(void);\nvoid *call(void) { return PyInit__caller(); }\n"
    lib = gcc_shared(tmp_path, "_caller", source, "-Wl,--allow-shlib-undefined")
    assert is_extension_module(str(lib), "_caller") is False


@needs_gcc
def test_python_315s_export_hook_counts(tmp_path):
    lib = gcc_shared(tmp_path, "_new", "void *PyModExport__new(void) { return 0; }\n")
    assert is_extension_module(str(lib), "_new") is True


def test_a_real_extension_of_this_interpreter_is_a_module():
    import _ctypes

    assert is_extension_module(_ctypes.__file__, "_ctypes") is True


def test_what_is_not_elf_is_left_to_importing(tmp_path):
    macho = tmp_path / "_mod.so"
    macho.write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 200)  # a Mach-O header
    assert is_extension_module(str(macho), "_mod") is None
    assert is_extension_module(str(tmp_path / "missing.so"), "missing") is None
    assert is_extension_module(str(macho), "_m\u00f6d") is None  # PyInitU_ with punycode


# --- the import check on the fixture -----------------------------------------------------------------


def _lanes():
    lanes = [pytest.param(sys.executable, id="host")]
    real314 = py314()
    if real314 is not None:
        lanes.append(pytest.param(real314.path, id="3.14", marks=pytest.mark.py314))
    ft = ft_python()
    lanes.append(pytest.param(ft.path if ft else None, id="3.14t", marks=pytest.mark.ft))
    return lanes


def fixture_result(tmp_path_factory, python: str) -> dict:
    root = session_cache_root(tmp_path_factory)

    def produce():
        venv_python = lane_venv(root, python, [FIXTURE])
        return run_probe(venv_python, "imports", {"distributions": ["ftfix-ctypeslib"], "module_timeout_s": 20},
                         root / f"ctypeslib-{abs(hash(python))}", timeout_s=120)

    return cached_json(root, f"imports-ctypeslib:{python}", produce)


@needs_gcc
@pytest.mark.slow
@pytest.mark.parametrize("python", _lanes())
def test_plain_libraries_are_counted_and_named_never_imported(tmp_path_factory, python):
    if python is None:
        pytest.skip(FT_SKIP_REASON)
    result = fixture_result(tmp_path_factory, python)
    rows = {row["module"]: row for row in result["data"]["modules"]}
    assert set(rows) == {"ftfix_ctypeslib", "ftfix_ctypeslib._real"}
    assert all(row["outcome"] == "ok" for row in rows.values()), rows
    assert rows["ftfix_ctypeslib._real"]["kind"] == "extension"
    assert result["status"] == "ok" and result["signals"] == []
    (dist,) = result["data"]["discovery"]["distributions"]
    assert dist["libraries"] == PLAIN and dist["library_count"] == 2
    assert dist["excluded_by_reason"] == {"not-a-module": 2}
    assert result["data"]["discovery"]["libraries"] == 2
    (phrase,) = result["data"]["not_checked"]["by_reason"]
    assert "not Python modules" in phrase and result["data"]["not_checked"]["count"] == 2


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.ft
def test_pycryptodome_imports_clean_with_its_libraries_counted(tmp_path_factory):
    # On the free-threaded lane, where issue 24 saw it gate (its ~300 modules take about two minutes a lane;
    # the GIL lanes read the same ELF files, which the gcc fixture above covers on every lane).
    ft = ft_python()
    if ft is None:
        pytest.skip(FT_SKIP_REASON)
    python = ft.path
    root = session_cache_root(tmp_path_factory)

    def produce():
        venv_python = lane_venv(root, python, requirements=["pycryptodome"])
        return run_probe(venv_python, "imports", {"distributions": ["pycryptodome"], "module_timeout_s": 30},
                         root / f"pycryptodome-{abs(hash(python))}", timeout_s=600)

    result = cached_json(root, f"imports-pycryptodome:{python}", produce)
    (dist,) = result["data"]["discovery"]["distributions"]
    # 3.23: 40-odd plain libraries (_raw_aes, _Salsa20, _chacha20_avx2_bmi2, ...), no module among them.
    assert dist["library_count"] >= 20 and any("Salsa20" in name for name in dist["libraries"]), dist
    errors = [s for s in result["signals"] if s["kind"] == "import-error"]
    assert not [s for s in errors if NO_EXPORT in (s["evidence"].get("error_message") or "")], errors
    assert errors == [], [s["summary"] for s in errors]
    assert result["data"]["summary"]["ok"] >= 50
