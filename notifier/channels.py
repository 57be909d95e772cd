"""Channels: one small class per kind of receiver, registered by name (as urlwatch registers its
reporters). A channel says which apprise URL schemes it serves, how a message is written for it
(template, how a change is marked, body format) and what it hands the apprise plugin besides the
text (an email's text part, the de-duplication key where a program can read it). A new channel is a
subclass anywhere: defining it registers it, and `channel_for(url)` finds it by the URL's scheme.

The robot URLs people copy from WeCom, DingTalk and Feishu are accepted and read as the robot
channels they are.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from apprise.manager_plugins import NotificationManager
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON
from apprise.plugins.custom_xml import NotifyXML
from apprise.plugins.email import NotifyEmail

from notifier.apprise_plugins import WECOM_MARKDOWN_LIMIT, NotifyEmailWithText, NotifyWeComBotMarkdown
from notifier.compose import Composition
from notifier.marks import RENDERERS
from notifier.robots import NotifyDingTalkChecked, NotifyFeishuChecked
from notifier.templating import Message, fit_bytes, render_template

__all__ = [
    "CHANNELS",
    "KEY_FIELD",
    "KEY_HEADER",
    "WECOM_MARKDOWN_LIMIT",
    "Channel",
    "NotifyWeComBotMarkdown",
    "channel_for",
    "channel_kind",
    "channel_named",
    "register",
    "robot_url",
]

KEY_HEADER = "X-Policywatch-Key"
KEY_FIELD = "policywatch_key"
CHANNELS: dict[str, type[Channel]] = {}  # name → channel class
_BY_SCHEME: dict[str, str] = {}  # apprise scheme → channel name
DEFAULT_CHANNEL = "text"


class Channel:
    """Plain text through any apprise URL no other channel claims. Subclasses set `name` (which
    registers them), `schemes`, and override what differs."""

    name: ClassVar[str] = ""
    schemes: ClassVar[tuple[str, ...]] = ()
    plugin: ClassVar[type | None] = None  # an apprise plugin of our own for these schemes
    template: ClassVar[str] = "alert.txt.j2"
    marks: ClassVar[str] = "text"  # how a change is marked (notifier.marks.RENDERERS)
    body_format: ClassVar[str] = "text"  # html, markdown or text, as apprise is told

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            register(cls)

    def render(self, comp: Composition, key: str = "") -> Message:
        return Message(
            comp.title, render_template(self.template, comp, RENDERERS[self.marks]), self.body_format, "", key
        )

    def prepare(self, plugin: Any, message: Message) -> None:
        """Hand one message's extras to the apprise plugin instance (nothing by default)."""


def register(cls: type[Channel]) -> type[Channel]:
    """Make a channel known by its name and schemes (a later class of the same name replaces it)."""
    CHANNELS[cls.name] = cls
    for scheme in cls.schemes:
        _BY_SCHEME[scheme] = cls.name
    if cls.plugin is not None and cls.schemes:
        NotificationManager().add(cls.plugin, schemas=cls.schemes, force=True)
    return cls


def unregister(name: str) -> None:
    """Forget a channel (tests that define one clean up with this)."""
    cls = CHANNELS.pop(name, None)
    for scheme in cls.schemes if cls else ():
        _BY_SCHEME.pop(scheme, None)
        if cls is not None and cls.plugin is not None:
            NotificationManager().remove(scheme)


class TextChannel(Channel):
    name = "text"


class MarkdownChannel(Channel):
    """Chat robots that read markdown."""

    name = "markdown"
    schemes: ClassVar[tuple[str, ...]] = ("lark", "matrix", "slack", "discord", "tgram")
    template = "alert.md.j2"
    marks = "markdown"
    body_format = "markdown"


class DingTalkChannel(MarkdownChannel):
    """DingTalk robots: markdown; an HTTP 200 answer with an errcode is a failed delivery."""

    name = "dingtalk"
    schemes: ClassVar[tuple[str, ...]] = ("dingtalk",)
    plugin = NotifyDingTalkChecked


class FeishuChannel(MarkdownChannel):
    """Feishu robots: markdown cards; an HTTP 200 answer with a code/StatusCode is a failed delivery."""

    name = "feishu"
    schemes: ClassVar[tuple[str, ...]] = ("feishu",)
    plugin = NotifyFeishuChecked


class WebhookChannel(MarkdownChannel):
    """json:// form:// xml:// webhooks: markdown, and the de-duplication key in a header (and a
    JSON field) where the receiving program reads it."""

    name = "webhook"
    schemes: ClassVar[tuple[str, ...]] = ("json", "jsons", "form", "forms", "xml", "xmls")

    def prepare(self, plugin: Any, message: Message) -> None:
        if message.key and isinstance(plugin, NotifyJSON | NotifyForm | NotifyXML):
            plugin.headers[KEY_HEADER] = message.key
        if message.key and isinstance(plugin, NotifyJSON):
            plugin.payload_extras[KEY_FIELD] = message.key


class WeComChannel(Channel):
    """WeCom group robots: `msgtype: markdown` within the robot's 4096 bytes."""

    name = "wecom"
    schemes: ClassVar[tuple[str, ...]] = ("wecombot",)
    plugin = NotifyWeComBotMarkdown
    template = "alert.md.j2"
    marks = "wecom"
    body_format = "markdown"

    def render(self, comp: Composition, key: str = "") -> Message:
        mark = RENDERERS[self.marks]
        body = render_template(self.template, comp, mark)
        body = fit_bytes(
            body, WECOM_MARKDOWN_LIMIT, lambda: render_template(self.template, comp, mark, compact=True), comp
        )
        return Message(comp.title, body, self.body_format, "", key)


class EmailChannel(Channel):
    """HTML with our own plain-text part; the key in a header."""

    name = "email"
    schemes: ClassVar[tuple[str, ...]] = ("mailto", "mailtos")
    plugin = NotifyEmailWithText
    template = "email.html.j2"
    body_format = "html"

    def render(self, comp: Composition, key: str = "") -> Message:
        html = render_template(self.template, comp, RENDERERS[self.marks])
        return Message(comp.title, html, "html", render_template("alert.txt.j2", comp, RENDERERS["text"]), key)

    def prepare(self, plugin: Any, message: Message) -> None:
        if isinstance(plugin, NotifyEmailWithText):
            plugin.text_part = message.text
        if message.key and isinstance(plugin, NotifyEmail):
            plugin.headers[KEY_HEADER] = message.key


# The webhook addresses the robots' settings pages show, and the apprise URL each one is.
_ROBOT_URLS = (
    (re.compile(r"^https?://qyapi\.weixin\.qq\.com/cgi-bin/webhook/send/?\?key=([^&#\s]+)$", re.I), "wecombot://{}"),
    (re.compile(r"^https?://oapi\.dingtalk\.com/robot/send/?\?access_token=([^&#\s]+)$", re.I), "dingtalk://{}"),
    (
        re.compile(r"^https?://open\.(?:feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/([^/?#\s]+)$", re.I),
        "feishu://{}",
    ),
)


def robot_url(url: str) -> str:
    """`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K` → `wecombot://K` (and DingTalk,
    Feishu alike); any other URL unchanged. `${VAR}` references are kept as they are."""
    for pattern, form in _ROBOT_URLS:
        m = pattern.match(url.strip())
        if m:
            return form.format(m.group(1))
    return url


def channel_kind(url: str) -> str:
    """The name of the channel that serves this URL (by its scheme; `text` when none claims it)."""
    scheme = robot_url(url).split("://", 1)[0].lower()
    return _BY_SCHEME.get(scheme, DEFAULT_CHANNEL)


def channel_for(url: str) -> Channel:
    return CHANNELS[channel_kind(url)]()


def channel_named(name: str) -> Channel:
    if name not in CHANNELS:
        raise ValueError(f"no channel named '{name}'; known: {', '.join(sorted(CHANNELS))}")
    return CHANNELS[name]()
