"""PEP 803 end to end: a loopback index serves an ``abi3.abi3t`` wheel; uv resolves, the index is read over
HTTP, and the command says which targets it serves (3.15 and 3.15t, not 3.14t)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ftlab.cli.maintainers import readiness_command
from tests.support import dists
from tests.support.index_server import IndexServer

LINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"
TARGETS = ["cp314-manylinux_x86_64", "cp314t-manylinux_x86_64", "cp315-manylinux_x86_64", "cp315t-manylinux_x86_64"]


@pytest.fixture(scope="module")
def next_index(tmp_path_factory):
    where: Path = tmp_path_factory.mktemp("abi3t-dists")
    # The stable ABI for both builds in one file (PEP 803), declared Beta for free threading.
    dists.build_wheel(where, "both-abis", "1.0", f"cp315-abi3.abi3t-{LINUX}",
                      classifiers=["Programming Language :: Python :: Free Threading :: 2 - Beta"])
    # The stable ABI of GIL builds only, and an sdist to fall back on.
    dists.build_wheel(where, "gil-abi3", "1.0", f"cp311-abi3-{LINUX}")
    dists.build_sdist(where, "gil-abi3", "1.0", kind="builds")
    with IndexServer(where) as server:
        yield server


def test_an_abi3t_wheel_from_the_index_serves_315_and_315t(next_index, monkeypatch):
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    out = io.StringIO()
    rc = readiness_command(["both-abis", "gil-abi3"], targets=[",".join(TARGETS)], index_url=next_index.url,
                           as_json=True, quiet=True, out=out)
    doc = json.loads(out.getvalue())
    rows = {p["name"]: p for p in doc["packages"]}
    both = {t: (c["status"], c["tag"]) for t, c in rows["both-abis"]["cells"].items()}
    assert both == {
        "cp314-manylinux_x86_64": ("nothing", None),
        "cp314t-manylinux_x86_64": ("nothing", None),
        "cp315-manylinux_x86_64": ("wheel", "cp315-abi3-manylinux_2_17_x86_64"),
        "cp315t-manylinux_x86_64": ("wheel", "cp315-abi3t-manylinux_2_17_x86_64"),
    }
    gil = {t: c["status"] for t, c in rows["gil-abi3"]["cells"].items()}
    assert gil == {"cp314-manylinux_x86_64": "wheel", "cp314t-manylinux_x86_64": "sdist-only",
                   "cp315-manylinux_x86_64": "wheel", "cp315t-manylinux_x86_64": "sdist-only"}
    # Read back through the index's PEP 658 metadata, as declared.
    assert rows["both-abis"]["classifiers"] == ["Programming Language :: Python :: Free Threading :: 2 - Beta"]
    assert doc["summary"]["pythons"]["cp315t"] == {"ready": 1, "needed": 2}
    assert rc == 1
