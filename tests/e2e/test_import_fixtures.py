"""`ftlab run extensions/imports/<fixture> --checks install,import` on the GIL lanes here records the
outcomes of extensions/README.md's fixture table; crash and hang leave evidence and never stop the run."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "extensions" / "imports"

#: GIL-lane expectations from extensions/README.md: subject -> (import status, signal kinds).
EXPECTED_GIL = {
    "ftfix-multiphase-nogil": ("ok", []),
    "ftfix-multiphase-gil": ("ok", []),
    "ftfix-singlephase-nogil": ("ok", []),
    "ftfix-singlephase-gil": ("ok", []),
    "ftfix-chain": ("ok", []),
    "ftfix-segfault": ("findings", ["crash"]),
    "ftfix-raises": ("findings", ["import-error"]),
    "ftfix-hangs": ("findings", ["hang"]),
    "ftfix-optional": ("findings", ["import-error", "optional-dependency", "optional-dependency",
                                    "optional-dependency"]),
    "ftfix-toplevel-fails": ("findings", ["import-error"]),
    "ftfix-batchdeath": ("findings", ["crash", "crash", "hang"]),
    "ftfix-ctypeslib": ("ok", []),  # its plain libraries are not modules: never imported
    "ftfix-extras": ("findings", ["optional-dependency"]),  # only its `server` extra installs what it needs
}


@pytest.mark.slow
def test_every_import_fixture_on_gil_lanes(cli, py313):
    # One GIL lane through the CLI; every lane is covered in-lane by tests/integration/test_imports_fixtures.py.
    dirs = sorted(str(p) for p in FIXTURES.iterdir() if (p / "pyproject.toml").exists())
    doc, proc = cli.json("run", *dirs, "--lane", "3.13", "--no-provision",
                         "--checks", "install,import", "--module-timeout", "4")
    assert proc.returncode == 1, proc.stderr  # crash, hang, import-error: no-go
    results = {(r["subject"], r["lane"], r["check"]): r for r in doc["results"]}
    assert {s for s, _, _ in results} == set(EXPECTED_GIL)
    for lane in ("3.13",):
        for subject, (status, kinds) in EXPECTED_GIL.items():
            install = results[(subject, lane, "install")]
            assert install["status"] == "ok" and install["data"]["subject_dist"]["outcome"] == "local"
            r = results[(subject, lane, "import")]
            assert r["status"] == status, (subject, lane, r["reason"], r["signals"])
            assert sorted(s["kind"] for s in r["signals"]) == kinds, (subject, lane)
            # Never a GIL re-enable on a GIL build.
            assert all(m["outcome"] != "gil-reenabled" for m in r["data"]["modules"])
        crash = results[("ftfix-segfault", lane, "import")]["signals"][0]["evidence"]
        assert crash["signal"] == "SIGSEGV" and "Fatal Python error: Segmentation fault" in crash["faulthandler"]
        hang = results[("ftfix-hangs", lane, "import")]["signals"][0]["evidence"]
        assert "Timeout" in hang["stacks"] or "Thread" in hang["stacks"]
    verdicts = {(v["subject"], v["lane"]): v["verdict"] for v in doc["verdicts"]}
    assert verdicts[("ftfix-segfault", "3.13")] == "crashes"
    assert verdicts[("ftfix-hangs", "3.13")] == "crashes"
    assert verdicts[("ftfix-raises", "3.13")] == "not-importable"
    assert verdicts[("ftfix-multiphase-gil", "3.13")] == "ready"
    assert verdicts[("ftfix-toplevel-fails", "3.13")] == "not-importable"
    assert verdicts[("ftfix-batchdeath", "3.13")] == "crashes"
