"""fetch over real HTTP (pytest-httpserver on 127.0.0.1) and real files."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from example_site import example_config
from newsdesk import __version__
from newsdesk.config import FetchConfig, load_config
from newsdesk.errors import FetchError
from newsdesk.fetch.http import fetch, new_session

from helpers import Clock

SETTINGS = FetchConfig(timeout=2, connect_timeout=1, max_bytes=10_000, max_redirects=3)


@pytest.fixture
def session() -> requests.Session:
    with requests.Session() as s:
        s.max_redirects = SETTINGS.max_redirects
        s.headers["User-Agent"] = f"newsdesk/{__version__} (+https://news.example.org/)"
        yield s


def get(url: str, session: requests.Session, clock: Clock, settings: FetchConfig = SETTINGS, **options):
    return fetch(url, source="src", settings=settings, session=session, now=clock, **options)


def test_success_returns_body_final_url_and_headers(httpserver: HTTPServer, session, clock) -> None:
    httpserver.expect_request("/news").respond_with_data(
        "<p>hello</p>", content_type="text/html; charset=utf-8"
    )
    page = get(httpserver.url_for("/news"), session, clock)
    assert page.status == 200
    assert page.body == b"<p>hello</p>"
    assert page.content_type.startswith("text/html")
    assert page.fetched_at == clock()


def test_user_agent_names_newsdesk(httpserver: HTTPServer, session, clock) -> None:
    seen = {}

    def handler(request: Request) -> Response:
        seen["ua"] = request.headers.get("User-Agent")
        return Response("ok")

    httpserver.expect_request("/").respond_with_handler(handler)
    get(httpserver.url_for("/"), session, clock)
    assert seen["ua"].startswith(f"newsdesk/{__version__} (+https://news.example.org/)")


@pytest.mark.parametrize("status", [404, 410, 429, 500, 503])
def test_error_status_is_a_fetch_error_naming_source_and_url(
    httpserver: HTTPServer, session, clock, status: int
) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=status)
    url = httpserver.url_for("/gone")
    with pytest.raises(FetchError) as caught:
        get(url, session, clock)
    assert str(caught.value).startswith(f"source 'src' {url}: HTTP {status}")
    assert "\n" not in str(caught.value)


def test_redirect_is_followed_and_final_url_kept(httpserver: HTTPServer, session, clock) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data("moved here")
    page = get(httpserver.url_for("/old"), session, clock)
    assert page.url == httpserver.url_for("/new")
    assert page.requested_url == httpserver.url_for("/old")
    assert page.body == b"moved here"


def test_redirect_loop_is_capped(httpserver: HTTPServer, session, clock) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/loop")}
    )
    with pytest.raises(FetchError, match="more than 3 redirects"):
        get(httpserver.url_for("/loop"), session, clock)


def test_body_over_the_cap_is_refused(httpserver: HTTPServer, session, clock) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 50_000)
    with pytest.raises(FetchError, match="10000 byte cap"):
        get(httpserver.url_for("/big"), session, clock)


def test_gzip_body_is_capped_after_decoding(httpserver: HTTPServer, session, clock) -> None:
    bomb = gzip.compress(b"\0" * 1_000_000)  # ~1 KB on the wire, 1 MB unpacked
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="text/html"
    )
    with pytest.raises(FetchError, match="byte cap"):
        get(httpserver.url_for("/bomb"), session, clock)


def test_slow_server_times_out(httpserver: HTTPServer, session, clock) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    settings = FetchConfig(timeout=0.5, connect_timeout=0.5, max_bytes=10_000)
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        get(httpserver.url_for("/slow"), session, clock, settings)
    assert time.monotonic() - started < 1.4


def test_connection_refused_is_a_fetch_error(session, clock) -> None:
    with pytest.raises(FetchError, match="request failed"):
        get("http://127.0.0.1:9/", session, clock)


def test_file_url_and_missing_file(tmp_path: Path, session, clock) -> None:
    page_file = tmp_path / "page.html"
    page_file.write_text("<p>local</p>")
    page = get(page_file.as_uri(), session, clock)
    assert page.body == b"<p>local</p>"
    with pytest.raises(FetchError, match="file not found"):
        get((tmp_path / "missing.html").as_uri(), session, clock)


def test_unsupported_scheme(session, clock) -> None:
    with pytest.raises(FetchError, match="unsupported URL scheme 'ftp'"):
        get("ftp://example.org/x", session, clock)


def test_server_dripping_bytes_is_cut_at_the_total_time_cap(session, clock) -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def drip() -> None:
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(100):
                conn.sendall(b"x")
                time.sleep(0.1)  # each byte well within the read timeout
        except OSError:
            pass
        finally:
            conn.close()
            listener.close()

    threading.Thread(target=drip, daemon=True).start()
    settings = FetchConfig(timeout=0.8, connect_timeout=0.5, max_bytes=10_000)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"took longer than 0\.8s"):
        get(f"http://127.0.0.1:{port}/", session, clock, settings)
    assert time.monotonic() - started < 2


def only_localhost_is_private(host: str) -> bool:
    """Here every address is loopback: call 127.0.0.1 'public' and the name localhost 'private'."""
    return host == "localhost"


def test_redirect_from_public_to_private_is_refused(httpserver: HTTPServer, session, clock) -> None:
    httpserver.expect_request("/internal").respond_with_data("secret admin page")
    private_url = httpserver.url_for("/internal")  # http://localhost:PORT/internal
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": private_url})
    public_url = private_url.replace("localhost", "127.0.0.1").replace("/internal", "/go")
    refused = r"redirected to a private address .* \(set allow_private: true to allow\)"
    with pytest.raises(FetchError, match=refused):
        fetch(
            public_url,
            source="src",
            settings=SETTINGS,
            session=session,
            now=clock,
            is_private=only_localhost_is_private,
        )
    page = fetch(
        public_url,
        source="src",
        settings=SETTINGS,
        session=session,
        now=clock,
        is_private=only_localhost_is_private,
        allow_private=True,
    )
    assert page.body == b"secret admin page" and page.url == private_url


def test_a_source_whose_own_address_is_private_may_redirect_there(
    httpserver: HTTPServer, session, clock
) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data("intranet news")
    page = fetch(
        httpserver.url_for("/old"),
        source="src",
        settings=SETTINGS,
        session=session,
        now=clock,
        is_private=only_localhost_is_private,
    )
    assert page.body == b"intranet news"
    assert page.permanently_moved_to == httpserver.url_for("/new")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer, session, clock, target: str) -> None:
    httpserver.expect_request("/jump").respond_with_data("", status=302, headers={"Location": target})
    with pytest.raises(FetchError, match="redirected to an unsupported address"):
        get(httpserver.url_for("/jump"), session, clock)


@pytest.mark.parametrize(
    ("host", "private"),
    [("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.1", True), ("169.254.1.1", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", True), ("93.184.216.34", False), ("2606:4700::1111", False), ("", True)],
)  # fmt: skip
def test_private_address_classification(host: str, private: bool) -> None:
    from newsdesk.fetch.http import host_is_private

    assert host_is_private(host) is private


def test_invalid_tls_certificate_is_a_clear_failure(tmp_path: Path, session, clock) -> None:
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.expect_request("/").respond_with_data("secret")
    server.start()
    try:
        with pytest.raises(FetchError, match=r"request failed: .*CERTIFICATE_VERIFY_FAILED"):
            get(server.url_for("/"), session, clock)
    finally:
        server.clear()
        server.stop()


def test_a_proxy_in_the_environment_is_used(
    httpserver: HTTPServer, clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions read the environment once when nothing in it matters; a proxy variable still counts."""
    config = load_config(example_config(tmp_path, "state/newsdesk.db"))
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with new_session(config) as plain:
        assert plain.trust_env is False and plain.verify == "/etc/ssl/certs/ca-certificates.crt"
    httpserver.expect_request("/news").respond_with_data("through the proxy")
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    with new_session(config) as proxied:
        page = get("http://news.example.org/news", proxied, clock, is_private=only_localhost_is_private)
    assert page.body == b"through the proxy"
    assert httpserver.log[0][0].url == "http://news.example.org/news"  # the proxy was asked for it
