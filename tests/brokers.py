"""The brokers the workers' tests run on: Redis and RabbitMQ, at NEWSDESK_TEST_REDIS and
NEWSDESK_TEST_AMQP, else at their usual local addresses. Where none answers the test skips with the
reason; under CI it fails instead, so that a broker gone missing never passes unseen."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest

REDIS_ENV = "NEWSDESK_TEST_REDIS"
AMQP_ENV = "NEWSDESK_TEST_AMQP"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run these tests")
    pytest.skip(reason)


def _service(env: str, example: str, default_port: int) -> str:
    """The URL `env` names, else the local default (`example`), when something answers there."""
    url = os.environ.get(env) or example
    parts = urlsplit(url)
    try:
        socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2
        ).close()
    except OSError as exc:
        _missing(f"{url} does not answer ({exc}); set {env} to a running one")
    return url


def redis_url(db: int = 0) -> str:
    """A Redis database on the test Redis (the tests use queue and key names of their own)."""
    base = _service(REDIS_ENV, "redis://127.0.0.1:6379", 6379).rstrip("/")
    parts = urlsplit(base)
    root = base[: -len(parts.path)] if parts.path not in ("", "/") else base
    return f"{root}/{db}"


def amqp_url() -> str:
    return _service(AMQP_ENV, "amqp://guest:guest@127.0.0.1:5672//", 5672)


def queue_name() -> str:
    """A queue of the test's own: tests sharing a broker never take each other's tasks."""
    return f"newsdesk-test-{uuid.uuid4().hex[:10]}"
