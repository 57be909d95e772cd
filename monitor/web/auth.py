"""Who may change things: read-only pages are open; every change (subscribers, pausing a source,
checking one) needs the `[web] admin_token` from the config — typed once into the login form, which
marks the signed session cookie as admin, or sent as `Authorization: Bearer …` to the API — or the
password of one of the `[[web.users]]` (stored as a PBKDF2 hash: `python -m monitor.web.auth` makes one).
Every form carries a per-session CSRF token. Tokens and passwords are never shown, logged or put in a page."""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.config import ConfigError, Settings, expand_env
from monitor.web.app import page, state

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CSRF_FIELD = "csrf"


def admin_token(request: Request) -> str:
    return configured_token(state(request).settings)


def configured_token(settings: Settings) -> str:
    """The configured token, ${VAR} expanded; "" when changes are not enabled."""
    raw = settings.web_admin_token
    try:
        return expand_env(raw) if raw else ""
    except ConfigError as exc:
        log.warning("[web] admin_token: %s; changes are disabled", exc)
        return ""


def session_secret(token: str, configured: str) -> str:
    """The cookie-signing key: [web] session_secret, else one derived from the admin token (so a
    restart keeps sessions), else random for this process."""
    if configured:
        return configured
    if token:
        return hmac.new(token.encode(), b"policywatch web session", hashlib.sha256).hexdigest()
    return secrets.token_hex(32)


PBKDF2_ITERATIONS = 600_000


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """`pbkdf2_sha256$<iterations>$<salt>$<hash>` (base64), for `[[web.users]] password_hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return scheme == "pbkdf2_sha256" and hmac.compare_digest(got, base64.b64decode(digest))


def _user_fingerprint(name: str, stored: str) -> str:
    """What the session keeps for a user: changes when the user's password does (logging them out)."""
    return hashlib.sha256(f"policywatch user {name}\n{stored}".encode()).hexdigest()[:32]


def changes_enabled(request: Request) -> bool:
    return bool(admin_token(request) or state(request).settings.web_users)


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(24)
        request.session[CSRF_FIELD] = token
    return str(token)


def is_admin(request: Request) -> bool:
    token = admin_token(request)
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return bool(token) and hmac.compare_digest(bearer[7:].strip().encode(), token.encode())
    if token and request.session.get("admin") == _fingerprint(token):
        return True
    users = dict(state(request).settings.web_users)
    name = str(request.session.get("user", ""))
    return name in users and request.session.get("user_key") == _user_fingerprint(name, users[name])


def _fingerprint(token: str) -> str:
    """What the session stores: proof of the token, not the token; changing the token logs everyone out."""
    return hashlib.sha256(b"policywatch admin " + token.encode()).hexdigest()[:32]


def check_csrf(request: Request, sent: str) -> None:
    expected = request.session.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(sent).encode(), str(expected).encode()):
        raise HTTPException(403, "表单已过期或来源不明(CSRF 校验失败),请刷新页面后重试")


def require_admin(request: Request, csrf: str | None = None) -> None:
    """For a change: an admin session and the form's CSRF token, or the API's bearer token."""
    if not changes_enabled(request):
        raise HTTPException(403, "未启用管理操作:请在配置文件 [web] 中设置 admin_token 或 [[web.users]]")
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        if not is_admin(request):
            raise HTTPException(401, "管理令牌不正确")
        return
    if not is_admin(request):
        raise HTTPException(401, "需要先登录(管理令牌)")
    check_csrf(request, csrf or "")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    enabled = changes_enabled(request)
    return page(request, "login.html", {"next": _local(next), "enabled": enabled, "error": ""})


@router.post("/login", response_model=None)
def login(
    request: Request,
    token: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    name: Annotated[str, Form()] = "",
) -> Response:
    """The admin token (no name), or a user's name and password."""
    check_csrf(request, csrf)
    configured = admin_token(request)
    users = dict(state(request).settings.web_users)
    request.session.pop("admin", None)
    request.session.pop("user", None)
    if name.strip() and name.strip() in users and check_password(token, users[name.strip()]):
        request.session["user"], request.session["user_key"] = (
            name.strip(),
            _user_fingerprint(name.strip(), users[name.strip()]),
        )
    elif not name.strip() and configured and hmac.compare_digest(token.strip().encode(), configured.encode()):
        request.session["admin"] = _fingerprint(configured)
    else:
        log.warning("web login refused from %s", request.client.host if request.client else "?")
        context = {"next": _local(next), "enabled": changes_enabled(request), "error": "用户名、密码或管理令牌不正确"}
        return page(request, "login.html", context, 401)
    request.session[CSRF_FIELD] = secrets.token_urlsafe(24)  # a new session: a new CSRF token
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()]) -> RedirectResponse:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _local(target: str) -> str:
    """Only a path on this site is a place to return to after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def main() -> None:
    """`python -m monitor.web.auth`: asks for a password twice, prints its hash for [[web.users]]."""
    first = getpass.getpass("password: ")
    if len(first) < 10:
        raise SystemExit("a password of at least 10 characters, please")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the two passwords differ")
    print(hash_password(first))


if __name__ == "__main__":
    main()
