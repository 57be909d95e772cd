"""Dates as Chinese documents write them: 2025年3月1日, 2025年 3月 1日, 二〇二五年三月一日, 二○○四年十月一日 —
and the 落款 (signature) date under the issuer's name at the end of a document."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

_CN = "〇○零一二两三四五六七八九十"
DATE_ANY = rf"(\d{{4}}|[{_CN}]{{4}})\s*年\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*日"
DATE_ANY_RE = re.compile(DATE_ANY)
_YEAR_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
# The signature date: on a line of its own, or right after the issuing organ's name.
_ORGAN_TAIL = r"(?:政府|办公厅|办公室|局|委员会|厅|委|部|院|会|署|中心|省长|市长|主席|院长)"
_SIGNER = r"(?:省长|市长|县长|区长|主席|院长|部长|局长|主任|署长)[ \t\u3000]*[\u4e00-\u9fff]{2,4}"
SIGNATURE_RE = re.compile(rf"(?:^|(?P<organ>{_SIGNER}|{_ORGAN_TAIL}))[ \t\u3000]*{DATE_ANY}", re.M)
# The promulgation note under a rule's title: （2022年4月6日生态环境部令第26号公布 自2022年7月1日起施行）,
# （2005年12月29日…通过 根据2018年…修正）: the last date before 公布/发布/通过/修订/修正.
_BEFORE_NOTE_RE = re.compile(rf"{DATE_ANY}[ \t\u3000]*[(（]此件")  # …请认真组织实施。 2021年11月4日 （此件公开发布）
_NOTE_RE = re.compile(r"(?:^|(?<=\s))[(（]([^()（）]{0,200}(?:公布|发布|通过|修订|修正|印发))", re.M)
_NOTE_HEAD_CHARS = 800


@lru_cache(maxsize=4096)
def cn_number(token: str) -> int:
    """A number in Chinese numerals (二〇二五, 三十, 两) as an int; cn2an is imported on first use
    (0.1–0.3 s, and most commands never read a Chinese numeral). Memoised: documents write the same
    few numerals over and over, and cn2an compiles its regular expressions on every call (0.4 ms a
    page of the crawl benchmark's reader process)."""
    import cn2an

    return int(cn2an.cn2an(token, "smart"))


def cn_int(token: str) -> int:
    return int(token) if token.isdigit() else cn_number(token.replace("○", "〇"))


def date_from_match(m: re.Match[str], first_group: int = 1) -> date | None:
    year, month, day = (m.group(first_group + i) for i in range(3))
    try:
        y = int(year) if year.isdigit() else int(year.translate(_YEAR_DIGITS))
        return date(y, cn_int(month), cn_int(day))
    except ValueError:
        return None


def signature_date(text: str) -> date | None:
    """The 落款 date: the first date standing alone on a line or directly after an organ's name
    (重庆市人民政府2021年8月10日（此件公开发布）)."""
    for m in SIGNATURE_RE.finditer(text):
        if not m.group("organ"):
            line_end = text.find("\n", m.end())
            rest = text[m.end() : line_end if line_end >= 0 else len(text)].strip()
            if rest and not rest.startswith(("(此件", "（此件")):
                continue  # "2018年4月28日省人民政府第4次常务会议审议通过" opens a sentence
        found = date_from_match(m, 2)
        if found:
            return found
    note = _BEFORE_NOTE_RE.search(text)
    return date_from_match(note) if note else None


def promulgation_date(text: str) -> date | None:
    """The date a rule was promulgated (or last revised), from the parenthesised note at its head."""
    m = _NOTE_RE.search(text[:_NOTE_HEAD_CHARS])
    if not m:
        return None
    dates = [d for d in (date_from_match(x) for x in DATE_ANY_RE.finditer(m.group(1).split("施行")[0])) if d]
    return dates[-1] if dates else None
