"""The index client against a real HTTP index on loopback (and PyPI, marked network)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ftlab.deps.index import DEFAULT_INDEX_URL, IndexClient, configured_index_url, parse_html_page
from ftlab.errors import PackageIndexError
from tests.support import dists
from tests.support.index_server import JSON_TYPE, IndexServer


def test_json_api_files_hashes_yanked_and_metadata(local_index):
    client = IndexClient(local_index.url)
    files = client.project_files("Pure_Pkg")  # any spelling of the name
    by_name = {f.filename: f for f in files}
    assert set(by_name) == {"pure_pkg-0.9-py3-none-any.whl", "pure_pkg-1.0-py3-none-any.whl",
                            "pure_pkg-1.0.tar.gz", "pure_pkg-1.1-py3-none-any.whl"}
    assert by_name["pure_pkg-1.1-py3-none-any.whl"].yanked == "broken release"
    assert by_name["pure_pkg-1.0-py3-none-any.whl"].yanked is False
    assert by_name["pure_pkg-1.0-py3-none-any.whl"].has_metadata
    assert not by_name["pure_pkg-1.0.tar.gz"].has_metadata
    assert len(by_name["pure_pkg-1.0.tar.gz"].hashes["sha256"]) == 64
    assert by_name["pure_pkg-1.0.tar.gz"].url.startswith(local_index.root + "/files/")
    assert any(path == "/simple/pure-pkg/" and JSON_TYPE in accept for path, accept in local_index.requests)


def test_release_files_select_one_version(local_index):
    got = IndexClient(local_index.url).release_files("pure-pkg", "1.0")
    assert sorted(f.filename for f in got) == ["pure_pkg-1.0-py3-none-any.whl", "pure_pkg-1.0.tar.gz"]


def test_html_fallback_gives_the_same_files(catalogue_dir):
    yanked = dists.yanked_files(catalogue_dir)
    with IndexServer(catalogue_dir, yanked=yanked) as js, IndexServer(catalogue_dir, yanked=yanked, html_only=True) as hs:
        for name in ("pure-pkg", "ft-native", "sdist-only"):
            from_json = IndexClient(js.url).project_files(name)
            from_html = IndexClient(hs.url).project_files(name)
            strip = lambda fs, root: sorted((f.filename, f.url.removeprefix(root), dict(f.hashes), f.yanked,  # noqa: E731
                                             f.has_metadata) for f in fs)
            assert strip(from_json, js.root) == strip(from_html, hs.root)
        assert IndexClient(hs.url).classifiers("ft-native", "1.0", IndexClient(hs.url).release_files("ft-native", "1.0")) \
            == (dists.FT_STABLE,)


def test_classifiers_from_pep658_metadata_and_unknown_without_it(local_index):
    client = IndexClient(local_index.url)
    rel = client.release("ft-native", "1.0")
    assert rel.classifiers == (dists.FT_STABLE,)
    assert client.release("pure-pkg", "1.0").classifiers == ()  # declared none
    assert client.release("sdist-only", "1.0").classifiers is None  # no wheel, no metadata: unknown


def test_releases_in_parallel_keep_order_and_report_progress(local_index):
    seen = []
    pins = [("chain-a", "1.0"), ("chain-b", "2.0"), ("chain-c", "1.0"), ("abi3-only", "1.0")]
    got = IndexClient(local_index.url, max_workers=3).releases(pins, on_done=lambda r: seen.append(r.name))
    assert [(r.name, r.version) for r in got] == pins
    assert sorted(seen) == sorted(p[0] for p in pins)


def test_unknown_project_names_the_project_and_the_index(local_index):
    with pytest.raises(PackageIndexError, match=r"project 'no-such-thing' not found on the package index http://127"):
        IndexClient(local_index.url).project_files("No_Such_Thing")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_index_is_a_package_index_error():
    url = f"http://127.0.0.1:{_closed_port()}/simple"
    with pytest.raises(PackageIndexError, match=r"cannot reach the package index .* \(from: --index-url\).*refused"):
        IndexClient(url, timeout_s=2).project_files("numpy")


def test_a_page_that_is_not_an_index(tmp_path: Path):
    # A file:// "index" whose project page is JSON garbage is rejected with the URL named.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "index.html").write_text("<html><body><a href='pkg-1.0.tar.gz'>pkg-1.0.tar.gz</a></body></html>")
    files = IndexClient(tmp_path.as_uri()).project_files("pkg")
    assert [f.filename for f in files] == ["pkg-1.0.tar.gz"]
    assert files[0].url == (tmp_path / "pkg" / "pkg-1.0.tar.gz").as_uri()


def test_html_parser_reads_pep_592_and_658_attributes():
    page = ('<a href="../../f/x-1-py3-none-any.whl#sha256=ab" data-requires-python="&gt;=3.9" '
            'data-yanked="" data-dist-info-metadata="true">x-1-py3-none-any.whl</a>')
    (f,) = parse_html_page(page, "https://i.example/simple/x/")
    assert (f.url, dict(f.hashes), f.requires_python, f.yanked, f.has_metadata) == (
        "https://i.example/f/x-1-py3-none-any.whl", {"sha256": "ab"}, ">=3.9", True, True)


def test_configured_index_url_order(tmp_path: Path):
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    assert configured_index_url({}, home) in (DEFAULT_INDEX_URL, configured_index_url({}, tmp_path / "nobody"))
    (home / ".config" / "pip" / "pip.conf").write_text("[global]\nindex-url = https://pip.example/simple\n")
    assert configured_index_url({}, home) == "https://pip.example/simple"
    (home / ".config" / "uv").mkdir()
    (home / ".config" / "uv" / "uv.toml").write_text('[[index]]\nurl = "https://uv.example/simple"\ndefault = true\n')
    assert configured_index_url({}, home) == "https://uv.example/simple"
    # uv's own settings win over pip's; pip's variable wins over pip's files.
    assert configured_index_url({"PIP_INDEX_URL": "https://env.example/simple"}, home) == "https://uv.example/simple"
    (home / ".config" / "uv" / "uv.toml").unlink()
    assert configured_index_url({"PIP_INDEX_URL": "https://env.example/simple"}, home) == "https://env.example/simple"
    assert configured_index_url({"UV_DEFAULT_INDEX": "https://a/simple", "PIP_INDEX_URL": "https://b/simple"}, home) \
        == "https://a/simple"


@pytest.mark.network
def test_pypi_files_and_free_threading_classifiers():
    client = IndexClient("https://pypi.org/simple")
    rel = client.release("pyyaml", "6.0.3")
    names = {f.filename for f in rel.files}
    assert "pyyaml-6.0.3.tar.gz" in names
    assert any("cp314t" in n for n in names)
    assert rel.classifiers is not None  # PyPI's JSON API always answers; the list may be empty
    assert all(c.startswith("Programming Language :: Python :: Free Threading") for c in rel.classifiers)
