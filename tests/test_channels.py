"""The channel registry: a channel is one class, registered by defining it. A channel written here,
in the test, is used for its URLs by delivery and accepted by `config check` without any other
file knowing about it; the built-in channels keep what each kind of receiver got before."""

from __future__ import annotations

import os
from typing import Any

from apprise.plugins.custom_json import NotifyJSON

from monitor.config import Settings, Subscriber
from monitor.demo.receiver import WebhookReceiver
from monitor.store.db import Database
from notifier.channels import CHANNELS, Channel, channel_kind, unregister
from notifier.compose import Composition
from notifier.outbox import deliver_pending
from notifier.templating import Message
from notifier.urlcheck import apprise_problem
from tests.test_notify import _event


class NotifyTicket(NotifyJSON):
    """A made-up ticket system that takes JSON over HTTP at ticket://host/path."""

    service_name = "Ticket (test)"
    protocol = "ticket"
    secure_protocol = "tickets"


def test_a_channel_defined_in_a_test_is_picked_up_by_delivery_and_config_check(db: Database) -> None:
    class TicketChannel(Channel):
        name = "ticket"
        schemes = ("ticket", "tickets")
        plugin = NotifyTicket

        def render(self, comp: Composition, key: str = "") -> Message:
            plain = super().render(comp, key)
            return Message(f"[工单] {plain.title}", plain.body, "text", "", key)

        def prepare(self, plugin: Any, message: Message) -> None:
            plugin.headers["X-Ticket-Queue"] = "policy"

    try:
        assert CHANNELS["ticket"] is TicketChannel and channel_kind("ticket://127.0.0.1/x") == "ticket"
        assert apprise_problem("ticket://127.0.0.1:9/x", os.environ) == ""
        with WebhookReceiver() as hook:
            sub = Subscriber("tickets", (hook.url.replace("http", "ticket", 1) + "/new",))
            _event(db, (sub,))
            assert deliver_pending(db, Settings(subscribers=(sub,))).sent == 1
        [received] = hook.received
        assert received["body"]["title"].startswith("[工单] ") and received["headers"]["X-Ticket-Queue"] == "policy"
        assert "[-1500-]{+2000+}" in received["body"]["message"]  # the text channel's marks, inherited
    finally:
        unregister("ticket")
    assert channel_kind("ticket://127.0.0.1/x") == "text" and apprise_problem("ticket://127.0.0.1:9/x", os.environ)


def test_every_built_in_kind_of_url_has_its_channel() -> None:
    expected = {
        "mailtos://u:p@smtp.example.com": "email",
        "wecombot://KEY": "wecom",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K": "wecom",
        "dingtalk://TOKEN": "dingtalk",  # markdown, with the robot's 200 + error code read (notifier/robots.py)
        "feishu://HOOK": "feishu",
        "lark://TOKEN": "markdown",
        "json://127.0.0.1/x": "webhook",
        "jsons://example.com/x": "webhook",
        "ntfy://topic": "text",
    }
    assert {url: channel_kind(url) for url in expected} == expected
    assert {"email", "wecom", "markdown", "webhook", "text"} <= set(CHANNELS)
