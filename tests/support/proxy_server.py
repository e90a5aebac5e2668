"""A forward HTTP proxy on loopback for tests: relays plain-HTTP requests and records what it relayed.

``ForwardProxy()`` listens on 127.0.0.1 (ephemeral port); ``.address`` is ``host:port`` as pip's ``proxy``
setting takes it; ``.relayed`` lists the absolute URLs it forwarded. Only what an index client needs:
``GET`` with an absolute URI, answered with the upstream's status, type and body (no CONNECT).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

#: The proxy's own requests go straight to the upstream, whatever proxy the test process has.
_DIRECT = build_opener(ProxyHandler({}))


class ForwardProxy:
    def __init__(self) -> None:
        self.relayed: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="ftlab-test-proxy", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if not self.path.startswith("http://"):
                    self.send_error(400, "a proxy takes absolute URIs")
                    return
                with proxy._lock:
                    proxy.relayed.append(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "user-agent")}
                try:
                    with _DIRECT.open(Request(self.path, headers=headers), timeout=30) as resp:
                        status, ctype, body = resp.status, resp.headers.get("Content-Type", ""), resp.read()
                except HTTPError as exc:
                    status, ctype, body = exc.code, exc.headers.get("Content-Type", "text/plain"), exc.read()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
