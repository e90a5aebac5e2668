"""A real package index on loopback for tests: PEP 503 HTML and PEP 691 JSON over HTTP.

``IndexServer(directory)`` serves every distribution file in ``directory`` (flat):

- ``/simple/`` and ``/simple/<project>/``: HTML or JSON by the request's Accept header (PEP 691), with
  hashes, ``requires-python``, yanked reasons and PEP 658 metadata (``data-core-metadata`` /
  ``core-metadata``) for wheels;
- ``/files/<filename>`` and ``/files/<filename>.metadata``.

``html_only=True`` makes it an old PEP 503 index that ignores JSON requests. ``requests`` records
(path, Accept) pairs so a test can see what a client asked for.

Fixtures (register with ``pytest_plugins = ["tests.support.index_server"]`` in tests/conftest.py):

- ``catalogue_dir``: the standard distributions of ``tests.support.dists.CATALOGUE``, built once per session;
- ``local_index``: a running ``IndexServer`` over them (session); ``local_index.url`` is the simple root.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import zipfile
from collections.abc import Iterator, Mapping
from email.parser import HeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tests.support import dists

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def _wheel_metadata(path: Path) -> bytes | None:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.count("/") == 1 and name.endswith(".dist-info/METADATA"):
                return zf.read(name)
    return None


class _Catalogue:
    """What the server knows about its directory, read once at start."""

    def __init__(self, directory: Path, yanked: Mapping[str, str]) -> None:
        self.files: dict[str, Path] = {}
        self.projects: dict[str, list[dict]] = {}
        self.metadata: dict[str, bytes] = {}
        for path in sorted(directory.iterdir()):
            project = _project_of(path.name)
            if project is None:
                continue
            self.files[path.name] = path
            entry = {
                "filename": path.name,
                "url": f"/files/{path.name}",
                "hashes": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
            }
            if path.name.endswith(".whl"):
                meta = _wheel_metadata(path)
                if meta is not None:
                    self.metadata[path.name] = meta
                    entry["core-metadata"] = {"sha256": hashlib.sha256(meta).hexdigest()}
                    rp = HeaderParser().parsestr(meta.decode()).get("Requires-Python")
                    if rp:
                        entry["requires-python"] = rp
            if path.name in yanked:
                entry["yanked"] = yanked[path.name] or True
            self.projects.setdefault(canonicalize_name(project), []).append(entry)


def _wants_json(accept: str) -> bool:
    """PEP 691 negotiation, simplified: JSON when the client lists it with a q above every HTML type's."""
    best = {"json": -1.0, "html": -1.0}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media == JSON_TYPE:
            best["json"] = max(best["json"], q)
        elif media in (HTML_TYPE, "text/html", "*/*"):
            best["html"] = max(best["html"], q)
    return best["json"] > 0 and best["json"] >= best["html"]


def _project_html(name: str, files: list[dict]) -> str:
    rows = []
    for f in files:
        attrs = [f'href="{html.escape(f["url"])}#sha256={f["hashes"]["sha256"]}"']
        if "requires-python" in f:
            attrs.append(f'data-requires-python="{html.escape(f["requires-python"])}"')
        if "yanked" in f:
            reason = "" if f["yanked"] is True else f["yanked"]
            attrs.append(f'data-yanked="{html.escape(reason)}"')
        if "core-metadata" in f:
            attrs.append(f'data-core-metadata="sha256={f["core-metadata"]["sha256"]}"')
            attrs.append(f'data-dist-info-metadata="sha256={f["core-metadata"]["sha256"]}"')
        rows.append(f"    <a {' '.join(attrs)}>{html.escape(f['filename'])}</a><br/>")
    body = "\n".join(rows)
    return (f'<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1">'
            f"<title>Links for {name}</title></head>\n<body><h1>Links for {name}</h1>\n{body}\n</body></html>\n")


class IndexServer:
    """A threaded HTTP index on 127.0.0.1 with an ephemeral port; a context manager."""

    def __init__(self, directory: Path, *, yanked: Mapping[str, str] | None = None, html_only: bool = False):
        self.catalogue = _Catalogue(Path(directory), yanked or {})
        self.html_only = html_only
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="ftlab-test-index", daemon=True)

    @property
    def root(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The simple index root, as passed to ``--index-url``."""
        return f"{self.root}/simple"

    def start(self) -> IndexServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                accept = self.headers.get("Accept", "")
                with server._lock:
                    server.requests.append((self.path, accept))
                path = unquote(self.path.split("?", 1)[0])
                parts = [p for p in path.split("/") if p]
                if parts == ["simple"]:
                    return self._listing(accept)
                if len(parts) == 2 and parts[0] == "simple":
                    return self._project(parts[1], accept)
                if len(parts) == 2 and parts[0] == "files":
                    return self._file(parts[1])
                self._send(404, "text/plain", b"not found\n")

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _listing(self, accept: str) -> None:
                names = sorted(server.catalogue.projects)
                if not server.html_only and _wants_json(accept):
                    doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
                    return self._send(200, JSON_TYPE, json.dumps(doc).encode())
                links = "\n".join(f'<a href="/simple/{n}/">{n}</a><br/>' for n in names)
                self._send(200, HTML_TYPE, f"<!DOCTYPE html><html><body>\n{links}\n</body></html>\n".encode())

            def _project(self, name: str, accept: str) -> None:
                files = server.catalogue.projects.get(canonicalize_name(name))
                if files is None:
                    return self._send(404, "text/plain", b"no such project\n")
                if not server.html_only and _wants_json(accept):
                    doc = {"meta": {"api-version": "1.1"}, "name": canonicalize_name(name), "files": files}
                    return self._send(200, JSON_TYPE, json.dumps(doc).encode())
                self._send(200, HTML_TYPE, _project_html(name, files).encode())

            def _file(self, filename: str) -> None:
                cat = server.catalogue
                if filename.endswith(".metadata") and filename[: -len(".metadata")] in cat.metadata:
                    return self._send(200, "application/octet-stream", cat.metadata[filename[: -len(".metadata")]])
                if filename in cat.files:
                    return self._send(200, "application/octet-stream", cat.files[filename].read_bytes())
                self._send(404, "text/plain", b"no such file\n")

        return Handler


@pytest.fixture(scope="session")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard test distributions (``tests.support.dists.CATALOGUE``), built once per session."""
    return dists.write_catalogue(tmp_path_factory.mktemp("dists"))


@pytest.fixture(scope="session")
def local_index(catalogue_dir: Path) -> Iterator[IndexServer]:
    """A running loopback index over ``catalogue_dir``; ``.url`` is its simple root."""
    with IndexServer(catalogue_dir, yanked=dists.yanked_files(catalogue_dir)) as server:
        yield server
