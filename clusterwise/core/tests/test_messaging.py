"""The message gateway: numbers in E.164 form, and each backend (the HTTP one only ever
against a server on 127.0.0.1, never the internet)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from clusterwise.core import messaging
from clusterwise.core.messaging import Message, MessagingError


def test_stored_numbers_become_e164() -> None:
    assert messaging.e164("+91 98220-12345") == "+919822012345"
    assert messaging.e164("(98220) 12345") == "+919822012345"  # the default country: India
    assert messaging.e164("0712 345678", country_code="254") == "+254712345678"
    assert messaging.e164("00254712345678") == "+254712345678"
    assert messaging.e164("9822012345", country_code="") is None  # no country to give it
    assert messaging.e164("") is None
    assert messaging.e164(None) is None
    assert messaging.e164("12") is None
    assert messaging.e164("+0123456789") is None


@given(st.from_regex(r"[1-9][0-9]{6,11}", fullmatch=True), st.sampled_from([" ", "-", ""]))
def test_a_national_number_however_written_is_one_e164_number(number: str, sep: str) -> None:
    written = sep.join([number[:3], number[3:]])
    assert messaging.e164(written, country_code="91") == f"+91{number}"
    assert messaging.e164("0" + written, country_code="91") == f"+91{number}"
    assert messaging.e164(f"+91{sep}{written}") == f"+91{number}"


def test_a_message_needs_an_e164_number_and_some_text() -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        Message(to="9822012345", text="Hello")
    with pytest.raises(ValueError, match="text"):
        Message(to="+919822012345", text="  ")


def test_the_configured_backend_is_used(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CLUSTERWISE_MESSAGE_BACKEND = "clusterwise.core.messaging.NullBackend"
    assert isinstance(messaging.get_backend(), messaging.NullBackend)
    assert messaging.send([Message(to="+919822012345", text="Hello")]) == 0


def test_the_test_backend_keeps_messages_in_an_outbox_that_starts_empty() -> None:
    assert messaging.outbox == []
    sent = messaging.send(
        [Message(to="+919822012345", text="One"), Message(to="+254712345678", text="Two")]
    )
    assert sent == 2
    assert [m.to for m in messaging.outbox] == ["+919822012345", "+254712345678"]
    assert messaging.send([]) == 0


def test_the_console_backend_prints_each_message() -> None:
    stream = io.StringIO()
    backend = messaging.ConsoleBackend(stream=stream)
    assert backend.send_messages([Message(to="+919822012345", text="सभा उद्या")]) == 1
    assert "To: +919822012345\nसभा उद्या\n" in stream.getvalue()


def test_the_file_backend_appends_json_lines(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.CLUSTERWISE_MESSAGE_BACKEND = "clusterwise.core.messaging.FileBackend"
    settings.CLUSTERWISE_MESSAGE_FILE_PATH = str(tmp_path / "var" / "messages.jsonl")
    assert messaging.send([Message(to="+919822012345", text="सभा उद्या")]) == 1
    assert messaging.send([Message(to="+254712345678", text="Mkutano kesho")]) == 1
    lines = (tmp_path / "var" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["to"], r["text"]) for r in rows] == [
        ("+919822012345", "सभा उद्या"),
        ("+254712345678", "Mkutano kesho"),
    ]
    assert all(r["at"] for r in rows)
    assert "सभा" in lines[0]  # readable, not \u-escaped


def test_the_file_backend_says_when_it_cannot_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "file").write_text("")
    backend = messaging.FileBackend(file_path=tmp_path / "file" / "messages.jsonl")
    with pytest.raises(MessagingError, match="Cannot write"):
        backend.send_messages([Message(to="+919822012345", text="Hello")])
    quiet = messaging.FileBackend(file_path=tmp_path / "file" / "x.jsonl", fail_silently=True)
    assert quiet.send_messages([Message(to="+919822012345", text="Hello")]) == 0


# --- the HTTP gateway, against a local server ---------------------------------------------------


@dataclass
class Gateway:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """A provider on 127.0.0.1: 201 for a message, 500 when its text says 'fail', a
    redirect for 'move', and a slow answer for 'slow'."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(
                {
                    "path": self.path,
                    "body": body,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                }
            )
            if body["text"] == "slow":
                time.sleep(0.5)  # the client has given up by now: no answer to write
                return
            if body["text"] == "move":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.end_headers()
                return
            failed = body["text"] == "fail"
            answer = b"quota exceeded" if failed else b'{"id": "1"}'
            self.send_response(500 if failed else 201)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def do_GET(self) -> None:  # a followed redirect would land here
            received.append({"path": self.path, "method": "GET"})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Gateway(url=f"http://127.0.0.1:{server.server_port}/sms", received=received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_http_backend_posts_json_with_a_bearer_token(settings, gateway) -> None:  # type: ignore[no-untyped-def]
    settings.CLUSTERWISE_MESSAGE_BACKEND = "clusterwise.core.messaging.HttpBackend"
    settings.CLUSTERWISE_MESSAGE_HTTP_URL = gateway.url
    settings.CLUSTERWISE_MESSAGE_HTTP_TOKEN = "s3cret"
    sent = messaging.send([Message(to="+919822012345", text="सभा उद्या 15:00")])
    assert sent == 1
    assert gateway.received == [
        {
            "path": "/sms",
            "body": {"to": "+919822012345", "text": "सभा उद्या 15:00"},
            "authorization": "Bearer s3cret",
            "content_type": "application/json",
        }
    ]


def test_the_http_backend_sends_no_authorization_without_a_token(gateway) -> None:  # type: ignore[no-untyped-def]
    backend = messaging.HttpBackend(url=gateway.url, token="")
    assert backend.send_messages([Message(to="+919822012345", text="Hi")]) == 1
    assert gateway.received[0]["authorization"] is None


def test_an_error_status_is_a_clear_error(gateway) -> None:  # type: ignore[no-untyped-def]
    backend = messaging.HttpBackend(url=gateway.url, token="t")
    with pytest.raises(MessagingError, match=r"answered 500 .*: quota exceeded"):
        backend.send_messages([Message(to="+919822012345", text="fail")])


def test_failing_silently_counts_only_what_the_gateway_accepted(gateway) -> None:  # type: ignore[no-untyped-def]
    backend = messaging.HttpBackend(url=gateway.url, token="t", fail_silently=True)
    batch = [
        Message(to="+919822012345", text="one"),
        Message(to="+919822012346", text="fail"),
        Message(to="+919822012347", text="three"),
    ]
    assert backend.send_messages(batch) == 2
    assert len(gateway.received) == 3


def test_a_redirect_is_not_followed_as_if_the_message_were_sent(gateway) -> None:  # type: ignore[no-untyped-def]
    backend = messaging.HttpBackend(url=gateway.url, token="t")
    with pytest.raises(MessagingError, match="answered 302"):
        backend.send_messages([Message(to="+919822012345", text="move")])
    assert [r["path"] for r in gateway.received] == ["/sms"]


def test_a_slow_gateway_times_out(gateway) -> None:  # type: ignore[no-untyped-def]
    backend = messaging.HttpBackend(url=gateway.url, token="t", timeout=0.1)
    with pytest.raises(MessagingError, match="cannot be reached"):
        backend.send_messages([Message(to="+919822012345", text="slow")])


def test_an_unreachable_gateway_is_a_clear_error() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()  # nothing listens there now
    backend = messaging.HttpBackend(url=f"http://127.0.0.1:{port}/sms", token="t")
    with pytest.raises(MessagingError, match="cannot be reached"):
        backend.send_messages([Message(to="+919822012345", text="Hi")])


def test_the_http_backend_needs_an_http_address() -> None:
    with pytest.raises(ImproperlyConfigured):
        messaging.HttpBackend(url="file:///etc/passwd", token="t")
    with pytest.raises(ImproperlyConfigured):
        messaging.HttpBackend(url="", token="t")
