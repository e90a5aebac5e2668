"""The import check end to end on pure-Python packages written on the fly, in the test interpreter.

No venv and no compiler: these pin down the child's contract (chains, errors, exits, hangs, crashes
with Python frames, the job's time budget) in a second or two each.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.lanes import run_probe


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def check(tmp_path: Path, files: dict[str, str], **options) -> dict:
    site = write_tree(tmp_path / "site", files)
    options.setdefault("module_timeout_s", 20)
    return run_probe(sys.executable, "imports", options, tmp_path / "run", pythonpath=[site], timeout_s=60)


def rows(result: dict) -> dict[str, dict]:
    return {row["module"]: row for row in result["data"]["modules"]}


def test_pure_package_chain_and_kinds(tmp_path):
    result = check(
        tmp_path,
        {
            "ftc_pkg/__init__.py": "",
            "ftc_pkg/api.py": "from ftc_pkg import mid\n",
            "ftc_pkg/mid.py": "import ftc_leaf\n",
            "ftc_leaf.py": "X = 1\n",
        },
        modules=["ftc_pkg", "ftc_pkg.api", "json"],
    )
    assert result["status"] == "ok" and result["signals"] == []
    by = rows(result)
    assert {m: r["kind"] for m, r in by.items()} == {
        "ftc_pkg": "package",
        "ftc_pkg.api": "module",
        "json": "package",
    }
    assert all(r["outcome"] == "ok" and r["seconds"] is not None for r in by.values())
    assert result["data"]["summary"]["ok"] == 3
    # GIL interpreter here: never a GIL finding, whatever the state reads.
    assert not any(r["gil_reenabled"] for r in by.values())


def test_chains_follow_the_imports(tmp_path, monkeypatch):
    # The chain is what the child records; ask the raw child for it.
    from ftlab_probes.runtime.imports.launch import run_child

    site = write_tree(
        tmp_path / "site",
        {
            "ftc2/__init__.py": "",
            "ftc2/api.py": "from ftc2 import mid\nimport ftc2.other\n",
            "ftc2/mid.py": "import ftc2_leaf\n",
            "ftc2/other.py": "",
            "ftc2_leaf.py": "",
        },
    )
    monkeypatch.setenv("PYTHONPATH", str(site))
    raw = run_child(["ftc2.api", "ftc2.mid", "ftc2.other"], 20, None, str(tmp_path), "t")
    done = {e["module"]: e for e in raw["events"] if e["event"] == "done"}
    chains = done["ftc2.api"]["chains"]
    assert chains["ftc2.api"] == ["ftc2.api"]
    assert chains["ftc2"] == ["ftc2.api", "ftc2"]
    assert chains["ftc2_leaf"] == ["ftc2.api", "ftc2.mid", "ftc2_leaf"]
    assert chains["ftc2.other"] == ["ftc2.api", "ftc2.other"]
    # Each import is judged in a fork; the child keeps the clean ones, so the later modules were
    # loaded already, by the first: each says by which import, and loads nothing.
    assert done["ftc2.mid"]["preloaded_by"] == ["ftc2.api", "ftc2.mid"]
    assert done["ftc2.other"]["preloaded_by"] == ["ftc2.api", "ftc2.other"]
    assert done["ftc2.mid"]["chains"] == {} and done["ftc2.api"]["preloaded_by"] is None
    assert [e["event"] for e in raw["events"]] == ["start", "done", "kept"] * 3 + ["end"]


def test_a_failed_import_leaves_nothing_for_the_next(tmp_path, monkeypatch):
    # SQLAlchemy's way: the first import of ext.asyncio fails (no greenlet) and caches that it tried;
    # in one interpreter a second attempt would succeed. Each import is judged in a fork of a process
    # that kept only clean imports, so every attempt is a first one.
    from ftlab_probes.runtime.imports.launch import run_child

    site = write_tree(
        tmp_path / "site",
        {
            "ftc3/__init__.py": "TRIED = []\n",
            "ftc3/ext/__init__.py": "import ftc3\nif not ftc3.TRIED:\n    ftc3.TRIED.append(1)\n"
            "    raise ImportError('ftc3.ext needs ftc3_absent')\n",
            "ftc3/ext/engine.py": "",
        },
    )
    monkeypatch.setenv("PYTHONPATH", str(site))
    raw = run_child(["ftc3", "ftc3.ext", "ftc3.ext.engine"], 20, None, str(tmp_path), "t")
    done = {e["module"]: e for e in raw["events"] if e["event"] == "done"}
    assert done["ftc3"]["error"] is None
    assert done["ftc3.ext"]["error"]["message"] == done["ftc3.ext.engine"]["error"]["message"]
    assert [e["module"] for e in raw["events"] if e["event"] == "kept"] == ["ftc3"]


def test_failures_of_every_kind_are_recorded_and_do_not_stop_the_rest(tmp_path):
    result = check(
        tmp_path,
        {
            "ftc_raise.py": "raise LookupError('ftc: no such thing')\n",
            "ftc_exit.py": "raise SystemExit(4)\n",
            "ftc_osexit.py": "import os\nos._exit(3)\n",
            "ftc_segv.py": "import ctypes\nctypes.string_at(0)\n",
            "ftc_sleep.py": "import time\n\ndef wait_forever():\n    time.sleep(3600)\n\nwait_forever()\n",
            "ftc_fine.py": "",
        },
        modules=["ftc_raise", "ftc_exit", "ftc_osexit", "ftc_segv", "ftc_sleep", "ftc_fine"],
        module_timeout_s=2,
    )
    by = rows(result)
    assert [r["module"] for r in result["data"]["modules"]] == [
        "ftc_raise",
        "ftc_exit",
        "ftc_osexit",
        "ftc_segv",
        "ftc_sleep",
        "ftc_fine",
    ]
    assert by["ftc_raise"]["outcome"] == "import-error"
    assert by["ftc_raise"]["error"]["type"] == "LookupError"
    assert by["ftc_raise"]["error"]["message"] == "ftc: no such thing"
    assert "ftc_raise.py" in by["ftc_raise"]["error"]["traceback"]

    assert by["ftc_exit"]["outcome"] == "import-error" and by["ftc_exit"]["error"]["type"] == "SystemExit"

    assert by["ftc_osexit"]["outcome"] == "import-error"
    assert by["ftc_osexit"]["error"]["type"] == "exit" and by["ftc_osexit"]["exit_status"] == 3

    segv = by["ftc_segv"]
    assert segv["outcome"] == "crash" and segv["signal"] == "SIGSEGV" and segv["exit_status"] == -11
    assert segv["faulthandler"].startswith("Fatal Python error: Segmentation fault")
    assert "ftc_segv.py" in segv["faulthandler"]  # the tested module's frame, not only ours

    hang = by["ftc_sleep"]
    assert hang["outcome"] == "hang" and hang["timeout_s"] == 2
    assert hang["faulthandler"].startswith("Timeout (0:00:02)!")
    assert "in wait_forever" in hang["faulthandler"]

    assert by["ftc_fine"]["outcome"] == "ok"

    kinds = sorted(s["kind"] for s in result["signals"])
    assert kinds == ["crash", "hang", "import-error", "import-error", "import-error"]
    assert result["status"] == "findings"
    for sig in result["signals"]:
        assert Path(sig["evidence"]["artifact"]).is_file()


def test_job_time_budget_skips_instead_of_overrunning(tmp_path):
    result = check(
        tmp_path / "a",
        {"ftc_slow.py": "import time\ntime.sleep(3600)\n", "ftc_after.py": ""},
        modules=["ftc_slow", "ftc_after"],
        module_timeout_s=2,
    )
    assert rows(result)["ftc_after"]["outcome"] == "ok"  # enough time: nothing skipped

    site = write_tree(
        tmp_path / "b" / "site", {"ftc_slow.py": "import time\ntime.sleep(3600)\n", "ftc_after.py": ""}
    )
    result = run_probe(
        sys.executable,
        "imports",
        {"modules": ["ftc_slow", "ftc_after"], "module_timeout_s": 30},
        tmp_path / "b" / "run",
        pythonpath=[site],
        timeout_s=10,
    )
    assert rows(result)["ftc_slow"]["outcome"] == "hang"
    assert result["data"]["skipped"] == [{"module": "ftc_after", "reason": "job time budget exhausted"}]


@pytest.mark.parametrize("name", ["protocol", "imports", "importchild"])
def test_tested_modules_named_like_ours_are_the_tested_ones(tmp_path, name):
    # The child runs from an empty folder with nothing of ftlab's on sys.path[0].
    result = check(tmp_path, {name + ".py": f"raise ImportError('ftc: the tested {name}')\n"}, modules=[name])
    assert rows(result)[name]["error"]["message"] == f"ftc: the tested {name}"
