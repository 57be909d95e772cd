"""`policywatch sources suggest URL`: read one list page and write a source entry for sources.yaml —
start_urls, an `allow` regex generalised from the links the list gives, the pagination found and
the encoding — for the user to check and paste."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.listing import LinkRules, discover
from monitor.contracts import ListedLink

MIN_GROUP = 2  # links of one shape it takes to call it the list's detail pages
PAGES_READ = 3  # the list page and up to two of its further pages
_HASH = re.compile(r"[0-9a-f]{32}")
_NAV_TITLE = re.compile(r"^(首页|网站首页|上一页|下一页|尾页|更多|>>|登录|注册|无障碍|English|返回.*)$")


@dataclass(slots=True)
class Suggestion:
    url: str
    encoding: str
    allow: str = ""  # "" when no shape covers enough links
    matched: list[ListedLink] = field(default_factory=list)
    links_seen: int = 0
    pages: dict[str, str] = field(default_factory=dict)  # further list page → how found


def shape(url: str) -> str:
    """A regex for URLs shaped like this one: digit runs and hashes generalised, the rest literal."""
    parts = urlsplit(url)
    text = parts.path + (f"?{parts.query}" if parts.query else "")
    out = []
    for token in re.split(r"([0-9a-f]{32}|\d+)", text):
        if _HASH.fullmatch(token):
            out.append("[0-9a-f]{32}")
        elif token.isdigit():
            out.append(rf"\d{{{len(token)}}}" if len(token) in (6, 8) else r"\d+")
        else:
            out.append(re.escape(token))
    return "".join(out) + "$"


def _dir_shape(url: str) -> str:
    """Fallback for named pages (./some-policy.html): any page of that directory with that extension."""
    path = urlsplit(url).path
    folder, _, name = path.rpartition("/")
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return re.escape(folder + "/") + r"[^/?#]+" + (re.escape("." + ext) if ext else "") + "$"


def generalise(links: list[ListedLink]) -> str:
    """The allow regex covering the most links of one shape (at least MIN_GROUP), else ""."""
    for key in (shape, _dir_shape):
        counts = Counter(key(link.url) for link in links)
        if counts:
            best, n = counts.most_common(1)[0]
            if n >= MIN_GROUP:
                return best
    return ""


def suggest(url: str, get: Callable[[str], tuple[int, str, str]]) -> Suggestion:
    """Read the list page (and up to two further pages of it) and generalise its detail links.
    `get(url)` → (status, encoding, text). Raises OSError when the list page cannot be fetched."""
    status, encoding, html = get(url)
    if status >= 400:
        raise OSError(f"HTTP {status}")
    everything = LinkRules(allow=(".",))
    listing = discover(html, url, rules=everything)
    links = list(listing.links)
    for page in listing.next_pages[: PAGES_READ - 1]:
        more_status, _, more = get(page)
        if more_status < 400:
            links += discover(more, page, rules=everything).links
    host = urlsplit(url).netloc
    candidates = [link for link in links if urlsplit(link.url).netloc == host and not _NAV_TITLE.match(link.title)]
    candidates = list({link.url: link for link in candidates}.values())
    allow = generalise(candidates)
    matched = [link for link in candidates if allow and re.search(allow, link.url)]
    return Suggestion(url, encoding, allow, matched, len(candidates), dict(listing.page_how))


def source_yaml(s: Suggestion, name: str, allow_private: bool = False) -> str:
    """The entry to paste, with what was found written as comments."""
    lines = [
        f"  - name: {name}",
        '    region: ""                      # fill in, e.g. 北京市海淀区',
        f'    start_urls: ["{s.url}"]',
    ]
    if allow_private:
        lines.append("    allow_private: true             # a loopback/private/link-local address (--allow-private)")
    if s.allow:
        lines.append(f"    allow: ['{s.allow}']")
        lines.append(f"    # {len(s.matched)} of the {s.links_seen} links on the first list pages match allow, e.g.:")
        lines += [f"    #   {link.date or '':10} {link.title[:30]} {link.url}" for link in s.matched[:5]]
    else:
        lines.append("    # no group of links of one shape found: write allow (or selectors.list_links) by hand")
    if s.pages:
        hows = sorted(set(s.pages.values()))
        lines.append(f"    # pagination: {len(s.pages)} further list page(s) found by {', '.join(hows)}")
        lines.append(f"    max_list_pages: {max(50, len(s.pages) + 1)}")
    else:
        lines.append("    # pagination: none found on this page (one list page)")
    lines.append(f"    # encoding: read as {s.encoding} (detected; nothing to configure)")
    return "\n".join(lines) + "\n"


def default_name(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "site").split(".")
    label = next((h for h in host if h not in ("www", "gov", "cn", "com")), host[0])
    column = [p for p in parts.path.split("/") if p and "." not in p]
    return "-".join([label, *column[-1:]])
