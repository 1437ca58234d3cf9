"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, one way per path.

Used by the hostile-input tests, the kill -9 loop and the soak run. Every behaviour is bounded in
time so a test can never hang on it.
"""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpers import card, page

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title><item><title>x</title></item></channel></rss>'
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><rss version="2.0"><channel><title>t</title><item><title>'
    + b"&a;" * 2_000
    + b"</title></item></channel></rss>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    b'<!ENTITY remote SYSTEM "http://127.0.0.1:9/dtd">]><rss version="2.0"><channel><title>t</title>'
    b"<item><title>&xxe;&remote;</title><link>http://e.example/x</link>"
    b"<description>&xxe;</description></item></channel></rss>"
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd"><rss version="2.0">'
    b"<channel><title>t</title><item><title>DTD</title><link>http://e.example/dtd</link></item></channel></rss>"
)
TRUNCATED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>cut'


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, content_type: str = "text/html", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        kind = path.strip("/").split("/")[0]
        try:
            if kind == "robots.txt":
                self.send(404, b"")
            elif kind == "ok":
                number = path.rstrip("/").rsplit("/", 1)[-1]
                cards = [
                    card(f"Story {number}-{n}", f"/ok/{number}/story-{n}", summary=f"News {n}.")
                    for n in range(3)
                ]
                self.send(200, page(*cards).encode())
            elif kind == "drip":
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(60):
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif kind == "hang":
                time.sleep(3)
                self.send(200, b"too late")
            elif kind == "endless":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()  # no length: the body never ends (until the client gives up)
                chunk = b"<p>" + b"x" * 65_536 + b"</p>"
                for _ in range(2_000):
                    self.wfile.write(chunk)
            elif kind == "gzip-bomb":
                self.send(200, gzip.compress(b"\0" * 200_000_000, compresslevel=9), Content_Encoding="gzip")
            elif kind == "error":
                self.send(int(path.rsplit("/", 1)[-1]), b"error", Retry_After="1")
            elif kind == "loop":
                self.send(302, b"", Location=path)
            elif kind == "to-file":
                self.send(302, b"", Location="file:///etc/passwd")
            elif kind == "laughs":
                self.send(200, BILLION_LAUGHS, "application/rss+xml")
            elif kind == "quadratic":
                self.send(200, QUADRATIC, "application/rss+xml")
            elif kind == "xxe":
                self.send(200, XXE, "application/rss+xml")
            elif kind == "dtd":
                self.send(200, EXTERNAL_DTD, "application/rss+xml")
            elif kind == "truncated":
                self.send(200, TRUNCATED, "application/rss+xml")
            elif kind == "wrong-encoding-feed":  # declares UTF-8, is Latin-1
                body = (
                    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
                    "<item><title>Café à Brest</title><link>http://e.example/cafe</link></item></channel></rss>"
                ).encode("latin-1")
                self.send(200, body, "application/rss+xml")
            elif kind == "bom-feed":  # a UTF-8 BOM and no declaration
                body = "\ufeff<rss version='2.0'><channel><title>t</title><item><title>Crème brûlée</title>"
                body += "<link>http://e.example/bom</link></item></channel></rss>"
                self.send(200, body.encode("utf-8"), "application/rss+xml")
            elif kind == "html-as-feed":
                self.send(200, b"<html><body><p>Not a feed</p></body></html>", "application/rss+xml")
            elif kind == "deep":
                self.send(
                    200,
                    b"<html><body>" + b"<div>" * 10_000 + b"deep" + b"</div>" * 10_000 + b"</body></html>",
                )
            elif kind == "many-cards":
                cards = "".join(
                    '<article class="news-teaser"><h3 class="news-teaser__title">'
                    f'<a href="/c{n}">C{n}</a></h3></article>'
                    for n in range(100_000)
                )
                self.send(200, f"<html><body>{cards}</body></html>".encode())
            elif kind == "nul":
                self.send(200, page(card("Nul\0 title", "/nul", summary="a\0b")).encode())
            elif kind == "mixed-encoding":
                body = page(card("Café crème", "/cafe")).encode("utf-8") + "Ünïcödé".encode("latin-1")
                self.send(200, body, "text/html; charset=utf-8")
            elif kind == "lying-charset":
                body = page(card("Café crème à la française", "/fr")).encode("utf-8")
                self.send(200, body.replace(b"charset='utf-8'", b"charset='iso-8859-5'"))
            elif kind == "huge":
                self.send(200, b"<html>" + b"x" * 50_000_000 + b"</html>")
            else:
                self.send(404, b"no such hostility")
        except (BrokenPipeError, ConnectionResetError):
            pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up on a hostile answer reset the connection: expected here


class HostileServer:
    """Started on a free port of 127.0.0.1; `url(path)` gives an address on it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.server = QuietServer((host, 0), HostileHandler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"
