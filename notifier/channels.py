"""What each kind of apprise URL gets: a message form and its size limit.

WeCom group robots take markdown up to 4096 bytes; apprise's bundled `wecombot://` plugin sends plain
text cut at 2048 characters, so a subclass that posts `msgtype: markdown` replaces it for the
`wecombot` schema (registered through apprise's own plugin manager, so it is still an apprise URL).
"""

from __future__ import annotations

import logging
import os
from json import dumps
from typing import Any

import requests
from apprise.manager_plugins import NotificationManager
from apprise.plugins.wecombot import NotifyWeComBot

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
        payload = {"msgtype": "markdown", "markdown": {"content": body}}
        self.throttle()
        try:
            response = requests.post(
                self.api_url,
                data=dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"User-Agent": self.app_id, "Content-Type": "application/json; charset=utf-8"},
                verify=self.verify_certificate,
                timeout=self.request_timeout,
            )
        except requests.RequestException as exc:
            self.logger.warning("WeCom robot unreachable: %s", type(exc).__name__)
            return False
        if response.status_code != requests.codes.ok:
            self.logger.warning("WeCom robot answered HTTP %s", response.status_code)
            return False
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode:
            self.logger.warning("WeCom robot refused the message: errcode=%s", errcode)
            return False
        return True


NotificationManager().add(NotifyWeComBotMarkdown, schemas="wecombot", force=True)
# apprise's DEBUG lines print endpoint URLs with their keys in them; never let them reach our logs.
logging.getLogger("apprise").setLevel(logging.INFO)

EMAIL_SCHEMES = ("mailto", "mailtos")
MARKDOWN_SCHEMES = ("wecombot", "dingtalk", "feishu", "lark", "json", "form", "xml", "matrix", "slack")


def channel_kind(url: str) -> str:
    """email (HTML + text), wecom (markdown ≤ 4096 bytes), markdown, or text."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in EMAIL_SCHEMES:
        return "email"
    if scheme == "wecombot":
        return "wecom"
    return "markdown" if scheme in MARKDOWN_SCHEMES else "text"
