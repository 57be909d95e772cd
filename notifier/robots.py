"""Chat robots (WeCom, DingTalk, Feishu/Lark) answer HTTP 200 with an error inside the JSON body:
WeCom and DingTalk `{"errcode": 45009/310000, "errmsg": …}`, Feishu `{"code": 9499, "msg": …}` or,
from its older endpoint, `{"StatusCode": 19021, "StatusMessage": …}`. apprise's DingTalk plugin reads
only the HTTP status, and its Feishu/Lark plugins only `code`, so a refused message would count as
delivered and never be retried. The subclasses here post through `post_robot`, which reads the body
the same way for every robot; they are registered for apprise's own schemas (notifier/channels.py),
so a subscriber's `dingtalk://…` / `feishu://…` URL is still an apprise URL.

`$POLICYWATCH_DINGTALK_URL` and `$POLICYWATCH_FEISHU_URL` point the robots at a relay (or a test's
local receiver), as `$POLICYWATCH_WECOM_URL` does for WeCom: `…/robot/send?access_token={token}`,
`…/hook/{token}`."""

from __future__ import annotations

import json
import os
from typing import Any

import requests
from apprise import NotifyFormat, NotifyType
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu

from notifier.marks import md_escape

# (code field, message field) of the three answer shapes; any non-zero code is a refusal.
_ERROR_FIELDS = (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage"))


def robot_refusal(content: bytes) -> str:
    """The error a chat robot put in its HTTP 200 answer ("errcode=310000 errmsg=…"), or ""."""
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for code_field, message_field in _ERROR_FIELDS:
        code = data.get(code_field)
        if code not in (None, 0, "0"):
            return f"{code_field}={code} {message_field}={' '.join(str(data.get(message_field, '')).split())[:200]}"
    return ""


def post_robot(plugin: Any, platform: str, url: str, payload: dict[str, Any], params: Any = None) -> bool:
    """POST one robot message; False (with the reason logged as a warning, which the outbox records)
    when the robot is unreachable, answers an HTTP error, or answers 200 with an error code."""
    plugin.throttle()
    try:
        response = requests.post(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            params=params,
            headers={"User-Agent": plugin.app_id, "Content-Type": "application/json; charset=utf-8"},
            verify=plugin.verify_certificate,
            timeout=plugin.request_timeout,
        )
    except requests.RequestException as exc:
        plugin.logger.warning("%s robot unreachable: %s", platform, type(exc).__name__)
        return False
    if response.status_code != requests.codes.ok:
        plugin.logger.warning("%s robot answered HTTP %s", platform, response.status_code)
        return False
    refusal = robot_refusal(response.content)
    if refusal:
        plugin.logger.warning("%s robot refused the message: %s", platform, refusal)
        return False
    return True


class NotifyDingTalkChecked(NotifyDingTalk):
    """DingTalk robot whose 200 + errcode answer is a failed delivery."""

    def send(
        self, body: str, title: str = "", notify_type: Any = NotifyType.INFO, body_format: Any = None, **kwargs: Any
    ) -> bool:
        payload: dict[str, Any] = {"at": {"atMobiles": self.targets, "isAtAll": False}}
        if body_format == NotifyFormat.MARKDOWN:
            heading = md_escape(title).lstrip("#- ")  # DingTalk shows it as markdown: page words stay words
            text = f"# {heading}\n{body}" if heading else body
            payload.update(msgtype="markdown", markdown={"title": heading or self.app_desc, "text": text})
        else:
            payload.update(msgtype="text", text={"content": f"{title}\r\n{body}" if title else body})
        params = None
        if self.secret:
            timestamp, signature = self.get_signature()
            params = {"timestamp": timestamp, "sign": signature}
        url = os.environ.get("POLICYWATCH_DINGTALK_URL", self.notify_url).format(token=self.token)
        return post_robot(self, "DingTalk", url, payload, params)


class NotifyFeishuChecked(NotifyFeishu):
    """Feishu/Lark robot whose 200 + code (or StatusCode) answer is a failed delivery."""

    def send(
        self, body: str, title: str = "", notify_type: Any = NotifyType.INFO, body_format: Any = None, **kwargs: Any
    ) -> bool:
        if body_format == NotifyFormat.MARKDOWN:
            header = {
                "title": {"tag": "plain_text", "content": title or self.app_desc},
                "template": self.card_colors.get(notify_type, self.card_colors[NotifyType.INFO]),
            }
            card = {"config": {"wide_screen_mode": True}, "header": header}
            card["elements"] = [{"tag": "div", "text": {"tag": "lark_md", "content": body}}]
            payload: dict[str, Any] = {"msg_type": "interactive", "card": card}
        else:
            payload = {"msg_type": "text", "content": {"text": f"{title}\r\n{body}" if title else body}}
        url = os.environ.get("POLICYWATCH_FEISHU_URL", self.notify_url).format(token=self.token)
        return post_robot(self, "Feishu", url, payload)
