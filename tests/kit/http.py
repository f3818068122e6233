"""A small HTTP server on loopback for tests: static routes plus scripted faults.

    with LoopbackServer() as srv:
        srv.add("/files/a.msi", data)                       # 200 with the bytes
        srv.add("/simple/x/", html, content_type="text/html")
        srv.add("/flaky", data, fail_first=1)               # 500 once, then 200
        srv.add("/slow", data, delay=5)                     # sleeps before answering
        srv.add("/slow1", data, delay=5, slow_first=1)      # only the first request sleeps
        srv.add("/cut", data, truncate=100)                 # sends 100 bytes, claims len(data)
        srv.add("/cut1", data, truncate=100, truncate_first=1)  # only the first answer is cut
        srv.add_dir("/files/", folder)                      # every file of a folder
        url = srv.url("/files/a.msi")                       # http://127.0.0.1:PORT/files/a.msi
        srv.hits["/flaky"]                                   # how many requests a path got

Binds 127.0.0.1 only, port chosen by the OS. Requests whose Accept header asks for a
content type a route does not have get the route's ``alternates`` entry when one exists (for
PEP 691 JSON versus PEP 503 HTML negotiation).
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    data: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    fail_first: int = 0
    fail_status: int = 500
    delay: float = 0.0
    slow_first: int = 0  # with delay: only the first N requests are slow (0: all of them)
    truncate: int | None = None
    truncate_first: int = 0  # with truncate: only the first N answers are cut (0: all of them)
    alternates: dict[str, bytes] = field(default_factory=dict)  # content type -> body
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def _route(self) -> Route | None:
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        with owner.lock:
            owner.hits[path] += 1
            count = owner.hits[path]
            route = owner.routes.get(path)
            if route is None:
                for prefix, folder in owner.dirs.items():
                    if path.startswith(prefix):
                        candidate = folder / path[len(prefix):]
                        if candidate.is_file():
                            route = Route(candidate.read_bytes())
        if route is not None and count <= route.fail_first:
            return Route(b"scripted failure", "text/plain", route.fail_status)
        if route is not None and route.slow_first and count > route.slow_first:
            route = dataclasses.replace(route, delay=0.0)  # slow only for the first requests
        if route is not None and route.truncate_first and count > route.truncate_first:
            route = dataclasses.replace(route, truncate=None)  # cut only the first answers
        return route

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        route = self._route()
        if route is None:
            body, ctype, status = b"not found", "text/plain", 404
            route = Route(body, ctype, status)
        body, ctype = route.data, route.content_type
        accept = self.headers.get("Accept", "")
        for alt_type, alt_body in route.alternates.items():
            if alt_type in accept and ctype not in accept.split(",")[0]:
                body, ctype = alt_body, alt_type
                break
        if route.delay:
            time.sleep(route.delay)
        self.send_response(route.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in route.headers.items():
            self.send_header(key, value)
        if route.truncate is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if not send_body:
            return
        try:
            if route.truncate is not None:
                self.wfile.write(body[: route.truncate])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "LoopbackServer"


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.dirs: dict[str, Path] = {}
        self.hits: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        # A short poll interval: stop() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, data: bytes | str, **kwargs: object) -> str:
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self.lock:
            self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def add_dir(self, prefix: str, folder: Path) -> str:
        with self.lock:
            self.dirs[prefix] = Path(folder)
        return self.url(prefix)

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
