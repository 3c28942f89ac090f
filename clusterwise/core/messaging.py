"""Text messages (SMS, or a chat app through a provider) go out through a gateway.

Modelled on Django's e-mail backends: `settings.CLUSTERWISE_MESSAGE_BACKEND` names the
backend class, and `send()` hands it the messages. By default messages are appended to a
file, so a laptop never texts anyone; a real provider sits behind `HttpBackend` and its
settings. Tests use `LocmemBackend`, whose `outbox` starts empty for each test.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from .phones import phone_digits

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def e164(phone: str | None, *, country_code: str | None = None) -> str | None:
    """A stored phone number in E.164 form ('+919822012345'), or None if it cannot be one.

    Numbers stored without their country ('9822012345', '0712 345678') get
    `country_code` (default `settings.CLUSTERWISE_MESSAGE_COUNTRY_CODE`), their trunk 0
    dropped; an international '00' prefix becomes '+'."""
    digits = phone_digits(phone)
    if not digits:
        return None
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        code = settings.CLUSTERWISE_MESSAGE_COUNTRY_CODE if country_code is None else country_code
        if not code:
            return None
        digits = f"+{code}{digits.lstrip('0')}"
    return digits if E164.match(digits) else None


@dataclass(frozen=True)
class Message:
    """One text to one phone number (E.164)."""

    to: str
    text: str

    def __post_init__(self) -> None:
        if not E164.match(self.to):
            raise ValueError(
                f"{self.to!r} is not a phone number in E.164 form (+<country><number>)"
            )
        if not self.text.strip():
            raise ValueError("A message needs some text.")


class MessagingError(Exception):
    """The gateway did not accept a message."""


class BaseBackend:
    """Sends messages somewhere; `send_messages` answers how many were accepted."""

    def __init__(self, *, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently

    def send_messages(self, messages: Sequence[Message]) -> int:
        raise NotImplementedError


class NullBackend(BaseBackend):
    """Messaging turned off: nothing is sent, so nothing counts as accepted."""

    def send_messages(self, messages: Sequence[Message]) -> int:
        return 0


class ConsoleBackend(BaseBackend):
    """Prints each message (to stdout, or the given stream)."""

    def __init__(self, *, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_messages(self, messages: Sequence[Message]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"To: {message.to}\n{message.text}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class FileBackend(BaseBackend):
    """Appends one JSON line per message ({at, to, text}) to a file."""

    _lock = threading.Lock()  # one process's threads write whole lines, in turn

    def __init__(self, *, file_path: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(file_path or settings.CLUSTERWISE_MESSAGE_FILE_PATH)

    def send_messages(self, messages: Sequence[Message]) -> int:
        if not messages:
            return 0
        at = timezone.now().isoformat()
        lines = "".join(
            json.dumps({"at": at, "to": m.to, "text": m.text}, ensure_ascii=False) + "\n"
            for m in messages
        )
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(lines)
        except OSError as exc:
            if not self.fail_silently:
                raise MessagingError(f"Cannot write messages to {self.path}: {exc}") from exc
            logger.warning("Cannot write messages to %s: %s", self.path, exc)
            return 0
        return len(messages)


outbox: list[Message] = []


class LocmemBackend(BaseBackend):
    """Keeps messages in `clusterwise.core.messaging.outbox`, for tests."""

    def send_messages(self, messages: Sequence[Message]) -> int:
        outbox.extend(messages)
        return len(messages)


@receiver(setting_changed)
def _fresh_outbox(*, setting: str, **kwargs: Any) -> None:
    # The test settings choose the backend for every test: each starts with an empty outbox,
    # as Django's test runner gives each test an empty mail.outbox.
    if setting == "CLUSTERWISE_MESSAGE_BACKEND":
        outbox.clear()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be retried as a GET without the message, and look accepted.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpBackend(BaseBackend):
    """POSTs each message as JSON `{"to", "text"}` to a provider's endpoint, with a bearer
    token. Any answer but 2xx, or no answer within `timeout` seconds, is a MessagingError."""

    timeout = 10.0

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.url = url if url is not None else settings.CLUSTERWISE_MESSAGE_HTTP_URL
        self.token = token if token is not None else settings.CLUSTERWISE_MESSAGE_HTTP_TOKEN
        if timeout is not None:
            self.timeout = timeout
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ImproperlyConfigured(
                "CLUSTERWISE_MESSAGE_HTTP_URL must be the gateway's http(s) address"
            )

    def _post(self, message: Message) -> None:
        body = json.dumps({"to": message.to, "text": message.text}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The scheme was checked in __init__: only http(s), never file: or others.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, headers=headers, method="POST"
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status = response.status
                if not 200 <= status < 300:
                    raise MessagingError(f"The message gateway answered {status} {response.reason}")
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
            raise MessagingError(
                f"The message gateway answered {exc.code} {exc.reason}"
                + (f": {detail}" if detail else "")
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MessagingError(f"The message gateway cannot be reached: {reason}") from exc

    def send_messages(self, messages: Sequence[Message]) -> int:
        sent = 0
        for message in messages:
            try:
                self._post(message)
            except MessagingError:
                if not self.fail_silently:
                    raise
                logger.warning("Message to %s not sent", message.to, exc_info=True)
            else:
                sent += 1
        return sent


def get_backend(path: str | None = None, **kwargs: Any) -> BaseBackend:
    """The configured backend (or the one named by its dotted path)."""
    backend: type[BaseBackend] = import_string(path or settings.CLUSTERWISE_MESSAGE_BACKEND)
    return backend(**kwargs)


def send(
    messages: Iterable[Message],
    *,
    fail_silently: bool = False,
    backend: BaseBackend | None = None,
) -> int:
    """Send through the configured gateway; returns how many it accepted."""
    messages = list(messages)
    if not messages:
        return 0
    backend = backend or get_backend(fail_silently=fail_silently)
    return backend.send_messages(messages)
