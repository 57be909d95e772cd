"""apprise plugins of our own, registered through apprise's plugin manager (so they are still
apprise URLs): WeCom group robots take markdown up to 4096 bytes, where apprise's bundled
`wecombot://` plugin sends plain text cut at 2048 characters; email gets the plain-text part we
rendered (apprise would derive it from the HTML, gluing deleted and inserted text together).
Each is registered for its schemes by the channel that uses it (notifier/channels.py)."""

from __future__ import annotations

import contextvars
import logging
import os
from typing import Any

import apprise
import apprise.plugins.email.base as apprise_email
from apprise.plugins.email import NotifyEmail
from apprise.plugins.wecombot import NotifyWeComBot

from notifier.robots import post_robot

WECOM_MARKDOWN_LIMIT = 4096  # bytes, the group robot API's limit for markdown content


class NotifyWeComBotMarkdown(NotifyWeComBot):
    service_name = "WeCom Bot (markdown)"
    body_maxlen = WECOM_MARKDOWN_LIMIT
    # The body already opens with what happened; a title would be glued on top of it by apprise.
    title_maxlen = 250
    # $POLICYWATCH_WECOM_URL points robots at a relay (or a test's local receiver).
    notify_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}"

    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        self.api_url = os.environ.get("POLICYWATCH_WECOM_URL", self.notify_url).format(key=self.key)

    def send(self, body: str, title: str = "", notify_type: Any = None, **kwargs: Any) -> bool:
        return post_robot(self, "WeCom", self.api_url, {"msgtype": "markdown", "markdown": {"content": body}})


_TEXT_PART: contextvars.ContextVar[str] = contextvars.ContextVar("policywatch_text_part", default="")
_apprise_convert = apprise_email.convert_between


def _convert_keeping_our_text_part(from_format: Any, to_format: Any, content: str) -> str:
    text = _TEXT_PART.get()
    if text and from_format == apprise.NotifyFormat.HTML and to_format == apprise.NotifyFormat.TEXT:
        return text
    return str(_apprise_convert(from_format, to_format, content))


class NotifyEmailWithText(NotifyEmail):
    """apprise's email, whose text/plain part is `text_part` when one is given."""

    text_part = ""

    def send(self, body: str, title: str = "", *args: Any, **kwargs: Any) -> bool:
        token = _TEXT_PART.set(self.text_part)
        try:
            return bool(super().send(body, title, *args, **kwargs))
        finally:
            _TEXT_PART.reset(token)


# apprise builds the text part inside a static helper; this is its one seam for a text of our own.
apprise_email.convert_between = _convert_keeping_our_text_part
# apprise's DEBUG lines print endpoint URLs with their keys in them; never let them reach our logs.
logging.getLogger("apprise").setLevel(logging.INFO)
