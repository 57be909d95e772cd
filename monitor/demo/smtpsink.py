"""A local SMTP server (aiosmtpd) that keeps every message it receives: where `policywatch demo`
delivers its email alerts, and the real SMTP peer of the notification tests."""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, sink: SMTPSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.sink.messages.append(message)
        if self.sink.mbox_path is not None:
            box = mailbox.mbox(str(self.sink.mbox_path))
            try:
                box.add(envelope.content)
                box.flush()
            finally:
                box.close()
        return "250 Message accepted for delivery"


class SMTPSink:
    """`credentials` (user, password) makes the server require AUTH LOGIN/PLAIN with exactly those."""

    def __init__(
        self, mbox_path: Path | None = None, port: int | None = None, credentials: tuple[str, str] | None = None
    ) -> None:
        self.mbox_path = mbox_path
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        auth: dict[str, Any] = {}
        if credentials is not None:
            auth = {"authenticator": self._authenticator(credentials), "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **auth)

    def _authenticator(self, credentials: tuple[str, str]) -> Any:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == credentials
            self.logins.append((data.login.decode() if isinstance(data, LoginPassword) else "", ok))
            return AuthResult(success=ok, handled=False)

        return check

    def apprise_url(self, to: str = "ops@localhost", sender: str = "policywatch@localhost") -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}&mode=insecure"

    def __enter__(self) -> SMTPSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
