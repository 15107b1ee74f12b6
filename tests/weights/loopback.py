"""A tiny HTTP server on 127.0.0.1 (port 0) for the download tests: serves bytes by path, honours
``Range: bytes=N-``, can redirect, answer 404, or cut a response half-way (once per path), and
records every request it saw."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Loopback:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.cut_once: set[str] = set()
        self.slow: set[str] = set()
        self.requests: list[tuple[str, str, str]] = []  # (method, path, Range header)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                owner._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def gets(self, path: str) -> list[str]:
        """Range headers of the GET requests for ``path`` ('' = whole file)."""
        return [r for m, p, r in self.requests if m == "GET" and p == path]

    def start(self) -> "Loopback":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        rng = h.headers.get("Range", "")
        with self._lock:
            self.requests.append(("GET", path, rng))
            cut = path in self.cut_once
            self.cut_once.discard(path)
        if path in self.redirects:
            h.send_response(302)
            h.send_header("Location", self.redirects[path])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        data = self.files.get(path)
        if data is None:
            h.send_error(404, "Not Found")
            return
        start = int(rng[len("bytes="):].split("-")[0]) if rng.startswith("bytes=") else 0
        if start >= len(data) and start:
            h.send_response(416)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body = data[start:]
        h.send_response(206 if start else 200)
        h.send_header("Content-Length", str(len(body)))
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.end_headers()
        if cut:  # half the body, then the connection goes away
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(2)
            return
        step = max(1, len(body) // 8) if path in self.slow else len(body)
        for i in range(0, len(body), step):
            h.wfile.write(body[i:i + step])
            h.wfile.flush()
            if path in self.slow:
                threading.Event().wait(0.05)
