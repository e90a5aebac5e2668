"""Survey subjects (list files, the top-PyPI data set over loopback, cached with its date), the
compiled-code filter, and the survey report's outcome per package and lane."""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ftlab.deps.index import DistFile
from ftlab.engine.pipeline import RunOutcome
from ftlab.engine.survey import TOP_URL_ENV, has_compiled_code, read_list, top_packages
from ftlab.errors import UsageError
from ftlab.records import Decision, Lane, Result, Signal, Verdict
from ftlab.report.survey import counts, html, rows

TOP = {"last_update": "2026-04-01 06:34:06", "rows": [{"project": p, "download_count": 100 - i}
                                                      for i, p in enumerate(["boto3", "numpy", "six", "pyyaml"])]}


@pytest.fixture
def served(tmp_path):
    """A loopback HTTP server over a folder holding the data set; yields (folder, url)."""
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "top.json").write_text(json.dumps(TOP))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield tmp_path / "www", f"http://127.0.0.1:{server.server_address[1]}/top.json"
    finally:
        server.shutdown()
        server.server_close()


def test_top_packages_are_read_from_the_url_setting_and_cached_with_their_date(served, tmp_path, monkeypatch):
    www, url = served
    monkeypatch.setenv(TOP_URL_ENV, url)
    top = top_packages(3, cache_dir=tmp_path / "cache", now=1000.0)
    assert top.names == ("boto3", "numpy", "six") and top.date == "2026-04-01 06:34:06" and not top.from_cache
    (www / "top.json").unlink()  # the cached copy answers within a day, without the server's file
    again = top_packages(2, cache_dir=tmp_path / "cache", now=1000.0 + 3600)
    assert again.names == ("boto3", "numpy") and again.from_cache and again.url == url
    with pytest.raises(UsageError, match=f"cannot read the top-PyPI-packages data set at {url}.*set {TOP_URL_ENV}"):
        top_packages(2, cache_dir=tmp_path / "cache", now=1000.0 + 2 * 86400)


def test_an_unreachable_data_set_is_one_line_naming_the_setting(tmp_path):
    with pytest.raises(UsageError) as err:
        top_packages(5, url="http://127.0.0.1:9/top.json", cache_dir=tmp_path)
    assert "\n" not in str(err.value) and TOP_URL_ENV in str(err.value)
    with pytest.raises(UsageError, match="--top must be at least 1"):
        top_packages(0, url="http://127.0.0.1:9/top.json", cache_dir=tmp_path)


def test_list_files(tmp_path):
    (tmp_path / "l.txt").write_text("numpy  # arrays\n\n# comment\npyyaml\nnumpy\n")
    assert read_list(tmp_path / "l.txt") == ["numpy", "pyyaml"]
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(UsageError, match="names no package"):
        read_list(tmp_path / "empty.txt")
    with pytest.raises(UsageError, match="cannot read the survey list"):
        read_list(tmp_path / "missing.txt")


def _files(*names: str) -> list[DistFile]:
    return [DistFile(filename=n, url=f"https://x/{n}") for n in names]


def test_compiled_code_is_judged_on_the_newest_release():
    assert has_compiled_code(_files("a-1.0-py3-none-any.whl", "a-1.0.tar.gz")) is False
    assert has_compiled_code(_files("a-1.0-cp314-cp314t-manylinux_2_28_x86_64.whl", "a-1.0-py3-none-any.whl"))
    # The newest release decides (an old compiled one does not), a prerelease does not count.
    assert has_compiled_code(_files("a-1.0-cp39-cp39-win_amd64.whl", "a-2.0-py3-none-any.whl",
                                    "a-3.0rc1-cp314-cp314-win_amd64.whl")) is False
    assert has_compiled_code(_files("a-1.0.tar.gz")) is None


def test_report_rows_say_install_import_gil_and_stress_per_lane():
    lanes = (Lane(name="3.14", path="/a"), Lane(name="3.14t", path="/b", gil_disabled=True))

    def r(subject, lane, check, status, *kinds, data=None):
        return Result(job_id=f"r/{subject}/{lane}/{check}", run_id="r", subject=subject, lane=lane, check=check,
                      status=status, signals=tuple(Signal(kind=k, summary=k) for k in kinds), data=data or {})

    wheel = {"subject_dist": {"outcome": "wheel"}}
    results = (r("a", "3.14", "install", "ok", data=wheel), r("a", "3.14t", "install", "ok", data=wheel),
               r("a", "3.14", "import", "ok"), r("a", "3.14t", "import", "findings", "gil-reenabled"),
               r("b", "3.14", "install", "findings", "install-failed"), r("b", "3.14t", "install", "findings", "no-wheel"),
               r("b", "3.14", "import", "skipped"), r("b", "3.14t", "import", "skipped"))
    verdicts = tuple(Verdict(subject=s, lane=ln.name, verdict=v) for s, v in (("a", "ready"), ("b", "not-installable"))
                     for ln in lanes)
    outcome = RunOutcome(run_id="r", lanes=lanes, results=results, verdicts=verdicts,
                         decision=Decision(decision="no-go"), store_path=Path(), artifacts_dir=Path())
    table = {(row["package"], row["lane"]): row for row in rows(outcome)}
    assert table[("a", "3.14t")] == {"package": "a", "lane": "3.14t", "install": "wheel", "import": "ok",
                                         "gil": "re-enabled", "stress": "-", "verdict": "ready"}
    assert table[("a", "3.14")]["gil"] == "n/a"
    assert table[("b", "3.14t")]["install"] == "failed" and table[("b", "3.14t")]["gil"] == "-"
    assert counts(rows(outcome))["3.14t"]["install"] == {"failed": 1, "wheel": 1}
    # The chart over time appears once the store holds more than one survey.
    then = {"run_id": "q", "date": "2026-11-01", "source": {}, "verdicts": {"3.14": {"ready": 2}, "3.14t": {"ready": 1,
                                                                                                     "gil-fallback": 1}}}
    assert "Over time" not in html(outcome, {}, [then])
    page = html(outcome, {}, [then, then | {"date": "2026-12-01"}])
    assert "Over time (2 surveys in this store)" in page and "2026-11-01 3.14t: gil-fallback 1 packages" in page
