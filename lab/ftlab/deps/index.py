"""A small client for a package index: files of a release, and its Free Threading classifiers.

Speaks the PEP 691 JSON simple API and falls back to PEP 503 HTML; works with any index URL (https,
http, or a ``file://`` directory of simple pages). Classifiers come from PyPI's JSON API when the index is
PyPI, otherwise from a wheel's METADATA when the index offers it (PEP 658/714), otherwise they are unknown.
Standard library only (urllib), with timeouts, one retry and a bounded thread pool.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from email.parser import HeaderParser
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit
from urllib.request import HTTPSHandler, OpenerDirector, ProxyHandler, Request, build_opener

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ftlab.deps.pipconfig import DEFAULT_INDEX_URL, IndexSettings, index_settings
from ftlab.errors import PackageIndexError
from ftlab.version import __version__

__all__ = ["DEFAULT_INDEX_URL", "DistFile", "IndexClient", "Release", "configured_index_url"]
FT_CLASSIFIER_PREFIX = "Programming Language :: Python :: Free Threading"
_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/json")
#: Big projects' pages (numpy: thousands of files) take a few seconds on a slow mirror; a dead host fails fast anyway.
TIMEOUT_S = 30.0
#: One retry absorbs a dropped connection or a CDN hiccup without hiding an index that is really down.
ATTEMPTS = 2
#: Enough parallel requests to fetch a 100-package tree in seconds, few enough not to hammer a private index.
MAX_WORKERS = 8


@dataclass(frozen=True, kw_only=True)
class DistFile:
    """One file of a release as the index lists it."""

    filename: str
    url: str
    hashes: Mapping[str, str] = field(default_factory=dict, hash=False)
    requires_python: str | None = None
    #: False, or the reason given (True when yanked without one).
    yanked: bool | str = False
    #: Whether the index serves the file's METADATA at ``url + ".metadata"`` (PEP 658).
    has_metadata: bool = False
    #: Bytes, when the index says (PEP 700's ``size`` in the JSON API; None from an HTML page).
    size: int | None = None

    @property
    def kind(self) -> str:
        if self.filename.endswith(".whl"):
            return "wheel"
        return "sdist" if self.filename.endswith((".tar.gz", ".zip")) else "other"

    @property
    def version(self) -> Version | None:
        try:
            if self.kind == "wheel":
                return parse_wheel_filename(self.filename)[1]
            if self.kind == "sdist":
                return parse_sdist_filename(self.filename)[1]
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            pass
        return None


@dataclass(frozen=True, kw_only=True)
class Release:
    """The files of one pinned version, and its Free Threading classifiers (None: unknown)."""

    name: str
    version: str
    files: tuple[DistFile, ...]
    classifiers: tuple[str, ...] | None


def configured_index_url(environ: Mapping[str, str] | None = None, home: Path | None = None) -> str:
    """The index a person has configured: uv's settings, then pip's, else PyPI (``pipconfig``)."""
    return index_settings(environ=environ, home=home).index_url


def is_pypi(index_url: str) -> bool:
    return urlsplit(index_url).netloc in ("pypi.org", "test.pypi.org")


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            self.links.append((self._current, "".join(self._text).strip()))
            self._current = None


def parse_json_page(doc: object, page_url: str) -> tuple[DistFile, ...]:
    """Files of a PEP 691 project page."""
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise PackageIndexError(f"{page_url} answered JSON without a 'files' list; is it a PEP 691 simple index?")
    out = []
    for f in doc["files"]:
        meta = f.get("core-metadata", f.get("dist-info-metadata", False))
        out.append(DistFile(
            filename=f["filename"], url=urljoin(page_url, f["url"]), hashes=dict(f.get("hashes") or {}),
            requires_python=f.get("requires-python") or None, yanked=f.get("yanked") or False,
            has_metadata=bool(meta), size=f["size"] if isinstance(f.get("size"), int) else None,
        ))
    return tuple(out)


def parse_html_page(text: str, page_url: str) -> tuple[DistFile, ...]:
    """Files of a PEP 503 project page (hashes from the URL fragment, PEP 592/658 data attributes)."""
    parser = _LinkParser()
    parser.feed(text)
    out = []
    for attrs, label in parser.links:
        href = attrs.get("href")
        if not href:
            continue
        url, _, fragment = urljoin(page_url, href).partition("#")
        hashes = dict([fragment.split("=", 1)]) if "=" in fragment else {}
        filename = label or url.rsplit("/", 1)[-1]
        yanked: bool | str = False
        if "data-yanked" in attrs:
            yanked = attrs["data-yanked"] or True
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        out.append(DistFile(
            filename=filename, url=url, hashes=hashes, requires_python=attrs.get("data-requires-python") or None,
            yanked=yanked, has_metadata=meta is not None and meta != "false",
        ))
    return tuple(out)


def free_threading_classifiers(classifiers: Iterable[str]) -> tuple[str, ...]:
    return tuple(c for c in classifiers if c.startswith(FT_CLASSIFIER_PREFIX))


class IndexClient:
    """Reads one index. Holds a per-instance cache of project pages; safe to share between threads."""

    def __init__(self, index_url: str | None = None, *, timeout_s: float = TIMEOUT_S, max_workers: int = MAX_WORKERS,
                 settings: IndexSettings | None = None):
        #: The index, proxy and certificates as uv gets them (``pipconfig``), so both read the same index.
        self.settings = settings or index_settings(index_url=index_url.rstrip("/") if index_url else None)
        self.index_url = self.settings.index_url.rstrip("/")
        self._opener = _opener(self.settings)
        self.timeout_s = timeout_s
        self.max_workers = max_workers
        self._pages: dict[str, tuple[DistFile, ...]] = {}
        self._lock = threading.Lock()
        self._version_json = True

    def _get(self, url: str, accept: str) -> tuple[bytes, str]:
        if url.startswith("file:"):
            path = Path(urlsplit(url).path)
            path = path / "index.html" if path.is_dir() else path
            try:
                return path.read_bytes(), "text/html"
            except OSError as exc:
                raise _NotFound(url) if isinstance(exc, FileNotFoundError) else self._unreachable(url, exc) from None
        request = Request(url, headers={"Accept": accept, "User-Agent": f"ftlab/{__version__}"})
        last: Exception | None = None
        for _ in range(ATTEMPTS):
            try:
                with self._opener.open(request, timeout=self.timeout_s) as resp:
                    return resp.read(), resp.headers.get("Content-Type", "").split(";")[0].strip()
            except HTTPError as exc:
                if exc.code in (404, 410):
                    raise _NotFound(url) from None
                last = exc
                if exc.code < 500:
                    break
            except (URLError, TimeoutError, ConnectionError) as exc:
                last = exc
        raise self._unreachable(url, last)

    def _unreachable(self, url: str, exc: Exception | None) -> PackageIndexError:
        reason = getattr(exc, "reason", None) or exc
        return PackageIndexError(self.settings.unreachable_message(f"cannot read {url}: {reason}", url))

    def project_files(self, name: str) -> tuple[DistFile, ...]:
        """Every file the index lists for a project."""
        key = canonicalize_name(name)
        with self._lock:
            if key in self._pages:
                return self._pages[key]
        url = f"{self.index_url}/{key}/"
        try:
            body, ctype = self._get(url, _ACCEPT)
        except _NotFound:
            raise PackageIndexError(
                f"project '{key}' not found on the package index {self.index_url}; "
                "check the name, or pass the --index-url it was resolved from"
            ) from None
        if ctype in _JSON_TYPES:
            try:
                files = parse_json_page(json.loads(body), url)
            except (ValueError, KeyError, TypeError) as exc:
                raise PackageIndexError(f"{url} answered malformed JSON ({exc}); is it a PEP 691 simple index?") from None
        elif ctype in ("text/html", "application/vnd.pypi.simple.v1+html", ""):
            files = parse_html_page(body.decode("utf-8", "replace"), url)
        else:
            raise PackageIndexError(f"{url} answered {ctype!r}, not a simple index page; check --index-url")
        with self._lock:
            self._pages[key] = files
        return files

    def release_files(self, name: str, version: str) -> tuple[DistFile, ...]:
        """The wheels and sdists of one version (yanked ones included: an exact pin still installs them)."""
        want = Version(version)
        return tuple(f for f in self.project_files(name) if f.kind != "other" and f.version == want)

    def classifiers(self, name: str, version: str, files: Sequence[DistFile] = ()) -> tuple[str, ...] | None:
        """All trove classifiers of a release, or None when the index offers no way to read them.

        PyPI: its per-version JSON, else a wheel's PEP 658 metadata (PyPI serves it for every wheel, even
        where a mirror's page does not say so), else the project JSON when its latest is this version.
        Other indexes: PEP 658 metadata where offered.
        """
        pypi = is_pypi(self.index_url)
        if pypi and self._version_json:
            found = self._pypi_json_classifiers(name, version, latest=False)
            if found is not None:
                return found
        wheels = [replace(f, has_metadata=True) if pypi else f for f in files if f.kind == "wheel"]
        with_meta = [f for f in wheels if f.has_metadata]
        if with_meta:
            try:
                body, _ = self._get(with_meta[0].url + ".metadata", "*/*")
                meta = HeaderParser().parsestr(body.decode("utf-8", "replace"))
                return tuple(meta.get_all("Classifier") or ())
            except _NotFound:
                pass
        return self._pypi_json_classifiers(name, version, latest=True) if pypi else None

    def _pypi_json_classifiers(self, name: str, version: str, *, latest: bool) -> tuple[str, ...] | None:
        parts = urlsplit(self.index_url)
        base = f"{parts.scheme}://{parts.netloc}/pypi/{canonicalize_name(name)}"
        # The project document is large (every release's files); it is the last resort.
        url = f"{base}/json" if latest else f"{base}/{version}/json"
        try:
            body, _ = self._get(url, "application/json")
            info = json.loads(body).get("info") or {}
            same = Version(str(info.get("version", "0"))) == Version(version)
        except _NotFound:
            if not latest:
                # The version came from this index's own pages, so the endpoint itself is missing (a proxy that
                # passes only some of PyPI's API): stop asking, save a round trip per package.
                self._version_json = False
            return None
        except ValueError:
            return None  # not JSON, or no valid version: unknown, not an error
        return tuple(info.get("classifiers") or ()) if same else None

    def release(self, name: str, version: str) -> Release:
        files = self.release_files(name, version)
        cls = self.classifiers(name, version, files)
        return Release(name=canonicalize_name(name), version=version, files=files,
                       classifiers=None if cls is None else free_threading_classifiers(cls))

    def releases(
        self, pins: Sequence[tuple[str, str]], on_done: Callable[[Release], None] | None = None
    ) -> list[Release]:
        """:meth:`release` for many (name, version) pairs in parallel; results in the order given."""
        def one(pin: tuple[str, str]) -> Release:
            rel = self.release(*pin)
            if on_done is not None:
                on_done(rel)
            return rel

        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="ftlab-index") as pool:
            return list(pool.map(one, pins))


def _opener(settings: IndexSettings) -> OpenerDirector:
    """urllib with the proxies and certificates uv gets (pip's ``proxy`` and ``cert`` included)."""
    env = settings.transport
    proxies = {}
    for scheme in ("http", "https"):
        for var in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"):
            if env.get(var):
                proxies[scheme] = env[var]
                break
    cafile = env.get("SSL_CERT_FILE")
    context = ssl.create_default_context(cafile=cafile if cafile and os.path.isfile(cafile) else None)
    return build_opener(ProxyHandler(proxies), HTTPSHandler(context=context))


class _NotFound(Exception):
    """A 404/410 from the index: turned into a message that names the project, not the URL."""
