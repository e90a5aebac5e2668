"""Does free-threading pay off, end to end: a real 3.14 and a real 3.14t, the perf fixture (ftperf-work,
extensions/perf/work) built for each from one source, served from the loopback index, through the real CLI.

The cp314t wheel is the injected slowdown: built with ``-DFTPERF_DELAY_US=2000`` every call sleeps 2 ms
on top of ~100 us of C work, so 3.14t runs about a twentieth of 3.14's calls at every thread count
and shape, and each call's p95 is about twenty times 3.14's. Even an SLO far looser than the default
(payoff >= 0.5, p95 <= 3x) must then say "does not pay off", outside the measured spread: the test
asserts the verdict, never a timing. Upgrade budgets are not applied between 3.14 and 3.14t.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.built_wheels import build_project_wheel, runtime_wheels
from tests.support.index_server import IndexServer

pytestmark = [pytest.mark.ft, pytest.mark.py314, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[2] / "extensions" / "perf" / "work"
#: 20x the call: a slowdown no machine load can hide in 3 repeats.
DELAY_US = 2000


@pytest.fixture(scope="module")
def slowed_index(tmp_path_factory, py314, ft_python) -> Path:
    folder = tmp_path_factory.mktemp("payoff-index")
    build_project_wheel(FIXTURE, py314, folder)
    build_project_wheel(FIXTURE, ft_python, folder, cflags=f"-DFTPERF_DELAY_US={DELAY_US}")
    runtime_wheels(folder, [py314, ft_python])
    return folder


def test_injected_slowdown_on_314t_does_not_pay_off(cli, slowed_index, py314, ft_python):
    with IndexServer(slowed_index) as index:
        doc, proc = cli.json("run", "ftperf-work", "--lane", f"3.14={py314}", "--lane", f"3.14t={ft_python}",
                             "--no-provision", "--checks", "install,perf", "--index-url", index.url,
                             "--perf-seconds", "0.05", "--perf-repeats", "3", "--payoff", "payoff=0.5,p95=3")
    perf = {r["lane"]: r for r in doc["results"] if r["check"] == "perf"}
    assert set(perf) == {"3.14", "3.14t"}, proc.stderr
    gil, ft = perf["3.14"], perf["3.14t"]
    assert gil["status"] == "ok" and ft["status"] == "ok", (gil["reason"], ft["reason"])
    # No upgrade budget between builds of two kinds: no gate, no perf-regression, and it says why.
    assert "gates" not in ft["data"] and "gates" not in gil["data"] and ft["signals"] == []
    assert "no upgrade gate" in ft["data"]["gates_note"]
    # Both shapes measured on both lanes, and the build of each recorded.
    (w,) = ft["data"]["workloads"]
    assert [p["threads"] for p in w["points"]][:2] == [1, 2] == [p["threads"] for p in w["independent_points"]][:2]
    assert ft["data"]["build"]["gil_disabled"] and not gil["data"]["build"]["gil_disabled"]
    pay = ft["data"]["payoff"]
    assert pay["question"] == "payoff" and pay["against"] == "3.14" and "payoff" not in gil["data"]
    assert pay["slo"] == {"payoff": 0.5, "p95": 3.0, "threads": None, "shapes": ["independent"]}
    assert pay["verdict"] == "does not pay off", pay["summary"]
    (ind,) = [r for r in pay["workloads"] if r["shape"] == "independent"]
    assert ind["outcome"] == "misses" and "outside the measured spread" in ind["why"]
    assert {p["threads"] for p in ind["points"]} >= {1, 2} and ind["single_thread"] < 0.5
    # Reports: the verdict in JSON, HTML (table at the top of the perf section, a plot per workload), Markdown.
    report = json.loads(Path(doc["reports"]["json"]).read_text())
    assert report["payoff"]["verdict"] == "does not pay off" and report["payoff"]["lanes"][0]["lane"] == "3.14t"
    html = Path(doc["reports"]["html"]).read_text()
    assert html.index("Does free-threading pay off?") < html.index("Thread scaling of")
    assert "3.14t independent" in html and "3.14 shared" in html
    md = Path(doc["reports"]["md"]).read_text()
    assert "### Does free-threading pay off?" in md and "**DOES NOT PAY OFF**" in md
    # The payoff is the adoption answer beside go/no-go, not a safety finding.
    assert doc["decision"] == "go", doc["triggers"]
