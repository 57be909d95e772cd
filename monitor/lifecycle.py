"""Lifecycle facts read from a policy's metadata and text: 文号, issuers, dates, effective date,
expiry, repeals — and the status rules that turn them into 现行有效 / 已废止 / … on a given day.

Only sentences whose subject is the document itself (本办法/本措施/…, or a subject-less 自…之日起
sentence in the closing provisions) may set this document's dates; a 许可证有效期为3年 elsewhere in
the text is about something else.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from monitor.cndate import DATE_ANY, DATE_ANY_RE, cn_number, date_from_match, promulgation_date, signature_date
from monitor.docnumber import normalise_doc_number, own_doc_number
from monitor.normalise import fold, split_sentences

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+|[{_CN_DIGITS}]+)"
_DATE_ISO_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")

_DOCNO_IN_PARENS = re.compile(
    r"^\s*(?:[(（](?:试行|暂行|修订|修订稿|\d{4}年(?:修订|版))[)）]\s*)?[(（]"
    r"(?:[^()（）]{0,20}?日)?([^()（）]{2,30}?号)(?:公布|发布|印发)?[)）]"
)

SELF_SUBJECT = re.compile(
    r"本(?![市区县省镇])[\u4e00-\u9fff]{0,2}?(?:实施细则|实施办法|管理办法|若干措施|若干规定|办法|措施|细则|规定|通知|意见|方案|政策|决定|规则|指引|计划|文件|条例|规范"
    r"|解释|标准|公告|通告|批复|清单|目录|导则|指南|规划|制度|准则|章程|命令|令)"
    r"|若干措施|若干意见"
)
# Validity sentences about something other than this document.
OTHER_SUBJECT = re.compile(r"许可证?|证书|证照|资格|资质|认定|备案|协议|合同|批准文件|授权|牌照|有效期内")

PRESUMED_RULE = "未载明施行日期,按发布日期"
# "自2025年1月1日起施行", and "有效期自2021年9月1日起至2026年8月31日止" (the period's start).
EFFECTIVE_ON_DATE = re.compile(r"自\s*" + DATE_ANY + r"\s*起(?:(?=至)|(?:正式)?(?:施行|实施|执行|生效|试行))")
EFFECTIVE_ON_EVENT = re.compile(
    r"自\s*(印发|发布|公布|颁布|下发|签发|修订|公告|印发实施)\s*之日(?:起)?"
    rf"(?:\s*({_NUM})\s*(?:日|天)后)?(?:正式)?(?:施行|实施|执行|生效|试行)"
)
EXPIRES_ON = re.compile(
    r"(?:(?:有效期|执行期限?|实施期限?|试行期限?)(?:延长)?(?:至|到|截至)|(?<![\d年月日])至)\s*"
    + DATE_ANY
    + r"\s*(止|结束|截止|废止|失效)?"
)
EXPIRES_AFTER = re.compile(
    rf"(?:(?:有效期|执行期限?|实施期限?|试行期限?|期限)(?:为|暂定为|暂定)?|(?:施行|试行|实施)(?:期|期限)?(?:为)?)\s*({_NUM})\s*(年|个月)"
)
REPEAL_VERB = re.compile(
    r"(?<![不未])(?:同时|即行|予以|一并|自行|同步)?(?:废止|作废|失效)|(?<!不)(?:不再执行|停止执行)|以本\S{0,4}为准"
)
NEGATED = re.compile(r"不废止|未废止|不停止执行|不予废止|继续有效|仍然有效")
REVISES = re.compile(r"(?:特|现)?修订《([^《》]{4,120})》")
NOT_A_REPEAL_BEFORE = re.compile(r"(?:根据|依据|依照|按照|参照|结合|落实|贯彻|对照|按)\s*$")
TITLE_RE = re.compile(r"《((?:[^《》]|《[^《》]*》){2,120})》|“([^“”]{4,120})”")  # 《…》, or “…” in quotation marks
_TITLE_NOTE = r"[(（](?:试行|暂行|修订|修订稿|\d{4}年(?:修订|版))[)）]"
_TITLES_AND_NUMBERS = re.compile(
    r"《[^《》]*》|“[^“”]*”|[(（][^()（）]{0,40}?号(?:公布|发布|印发)?[)）]|"
    + _TITLE_NOTE
    + r"|[和及与、]|以及|等\d*件?(?:文件)?"
    r"|原?[\u4e00-\u9fff]{0,24}令第\d+号(?:公布|发布|印发)的"
)
_REPEAL_GAP = re.compile(r"(?:自.{0,30}?(?:之日)?起)?(?:均|也|亦)?(?:同时|一并|即)?")
INTERPRETER = re.compile(r"由(.{2,70}?)(?:会同.{0,30}?|联合印发,?(?:并|共同)?|共同)?负责(?:政策)?解释")
_ORGAN_END = re.compile(r"(?:委员会|管委会|局|部|办公室|办|中心|政府|委|厅|院|署|总局)$")


@dataclass(frozen=True, slots=True)
class DateRule:
    date: date | None
    rule: str  # the sentence fragment the date was read from, kept when the anchor is unknown
    derived: bool = False  # presumed or anchored on a stand-in date (发布日期 for an unknown 印发 date)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"date": self.date.isoformat() if self.date else None, "rule": self.rule or None}
        if self.derived:
            data["derived"] = True
        return data


@dataclass(frozen=True, slots=True)
class RepealTarget:
    title: str
    doc_number: str
    sentence: str
    kind: str = "repeal"  # "repeal" or "revision"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    title: str = ""
    doc_number: str = ""
    issuers: tuple[str, ...] = ()
    written: date | None = None  # 成文日期
    published: date | None = None  # 发布日期 / PubDate
    effective: DateRule = DateRule(None, "")
    expires: DateRule = DateRule(None, "")
    repeals: tuple[RepealTarget, ...] = ()
    official_status: str = ""  # 有效性 label as printed on the page, e.g. 有效 / 失效
    official_repeal_date: date | None = None  # 废止日期
    trial: bool = False  # 试行

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "doc_number": self.doc_number or None,
            "issuers": list(self.issuers),
            "written": _iso(self.written),
            "published": _iso(self.published),
            "effective": self.effective.to_json(),
            "expires": self.expires.to_json(),
            "repeals": [asdict(r) for r in self.repeals],
            "official_status": self.official_status or None,
            "official_repeal_date": _iso(self.official_repeal_date),
            "trial": self.trial,
        }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date_or_none(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def lifecycle_from_json(data: Mapping[str, Any]) -> Lifecycle:
    """Inverse of Lifecycle.to_json, for status rules over stored versions."""

    def rule(part: Mapping[str, Any] | None) -> DateRule:
        part = part or {}
        return DateRule(_date_or_none(part.get("date")), part.get("rule") or "", bool(part.get("derived")))

    return Lifecycle(
        title=data.get("title", ""),
        doc_number=data.get("doc_number") or "",
        issuers=tuple(data.get("issuers", ())),
        written=_date_or_none(data.get("written")),
        published=_date_or_none(data.get("published")),
        effective=rule(data.get("effective")),
        expires=rule(data.get("expires")),
        repeals=tuple(RepealTarget(**r) for r in data.get("repeals", ())),
        official_status=data.get("official_status") or "",
        official_repeal_date=_date_or_none(data.get("official_repeal_date")),
        trial=bool(data.get("trial")),
    )


def to_int(token: str) -> int:
    return int(token) if token.isdigit() else cn_number(token)


def parse_date(text: str | None) -> date | None:
    if not text:
        return None
    text = fold(text)
    m = DATE_ANY_RE.search(text)
    if m:
        return date_from_match(m)
    m = _DATE_ISO_RE.search(text)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def add_years(d: date, years: int) -> date:
    year = d.year + years
    return d.replace(year=year, day=min(d.day, calendar.monthrange(year, d.month)[1]))


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def shift(day: date | None, *, days: int = 0, months: int = 0, years: int = 0) -> date | None:
    """`day` moved by a period, or None when the result lies outside the calendar: a page that says
    "有效期9999年" or "自印发之日起99999999日后施行" has a date no calendar holds — unknown, never a crash."""
    if day is None:
        return None
    try:
        if years:
            day = add_years(day, years)
        if months:
            day = add_months(day, months)
        return day + timedelta(days=days)
    except (ValueError, OverflowError):
        return None


def _about_this_document(sentence: str) -> bool:
    if SELF_SUBJECT.search(sentence):
        return True
    # 东城: "本措施由…负责解释。自印发之日起30日后施行,…" — the subject is elided.
    # "…作如下修订并重新发布,自2025年5月1日起施行,有效期至…": a clause of the notice's own decision.
    clauses = re.split(r"[,，;；]", sentence)
    return clauses[0].lstrip("0123456789.、()（）一二三四五六七八九十第条 ").startswith("自") or any(
        c.startswith("自") and "之日" not in c and "发布" in clauses[i - 1] for i, c in enumerate(clauses) if i
    )


# What _effective and _expires read in a validity sentence needs one of these words (自…起, 自…之日,
# 至/到 a date, 有效期/期限 and the like, 施行/试行/实施 N 年, 试行): most sentences of a policy have
# none and skip the subject checks, a tenth of reading a page.
_VALIDITY_WORDS = ("自", "至", "到", "期", "施行", "试行", "实施")


def _validity_sentences(sentences: list[str]) -> list[str]:
    # A 延长有效期 notice: "《X》继续实施,有效期延长至…" is this notice's own decision.
    return [
        s
        for s in sentences
        if any(word in s for word in _VALIDITY_WORDS)
        and ("有效期延长" in s or (_about_this_document(s) and not OTHER_SUBJECT.search(_before_validity(s))))
    ]


def _before_validity(sentence: str) -> str:
    """The words in front of the first validity phrase: where a licence or certificate would be named."""
    idx = min((i for i in (sentence.find("有效期"), sentence.find("施行")) if i >= 0), default=len(sentence))
    return sentence[:idx]


def _effective(sentences: list[str], written: date | None, published: date | None) -> DateRule:
    for s in sentences:
        m = EFFECTIVE_ON_DATE.search(s)
        if m:
            return DateRule(date_from_match(m), m.group(0))
        m = EFFECTIVE_ON_EVENT.search(s)
        if m:
            event, offset = m.group(1), m.group(2)
            # 印发/签发/下发/修订 date from the signature (成文日期); 发布/公布 from the publication.
            # With no 成文日期 the 发布日期 stands in for the 印发 date (and the other way round), marked derived.
            exact = published if event in {"发布", "公布", "公告"} else written
            anchor = exact or published or written
            if anchor is None:
                return DateRule(None, m.group(0))
            days = to_int(offset) if offset else 0
            return DateRule(shift(anchor, days=days), m.group(0), exact is None)
    # No commencement clause: legal databases take the publish (or 成文) date.
    presumed = published or written
    return DateRule(presumed, PRESUMED_RULE if presumed else "", presumed is not None)


def _expires(sentences: list[str], effective: DateRule) -> tuple[DateRule, bool]:
    trial = False
    for s in sentences:
        trial = trial or "试行" in s
        m = EXPIRES_ON.search(s)
        if m and ("有效期" in m.group(0) or m.group(4) or "施行" in s or "执行" in s):
            return DateRule(date_from_match(m), m.group(0)), trial
        m = EXPIRES_AFTER.search(s)
        if m:
            n, unit = to_int(m.group(1)), m.group(2)
            if effective.date is None:
                return DateRule(None, m.group(0)), trial
            end = shift(effective.date, years=n) if unit == "年" else shift(effective.date, months=n)
            # "有效期三年" from 2025-05-18 runs to 2028-05-17 inclusive.
            return DateRule(shift(end, days=-1), m.group(0)), trial
    return DateRule(None, ""), trial


# A sentence holds a repeal or revision only with one of these words (each pattern below needs one):
# most sentences of a policy have none and skip the patterns altogether.
_REPEAL_WORDS = ("修订", "废止", "作废", "失效", "执行", "以本")


def _repeals(sentences: list[str]) -> list[RepealTarget]:
    out: list[RepealTarget] = []
    for s in sentences:
        if not any(word in s for word in _REPEAL_WORDS):
            continue
        for m in REVISES.finditer(s):
            number = _number_after(s, m.end())
            out.append(RepealTarget(m.group(1), number, s, "revision"))
        if NEGATED.search(s):
            continue
        for clause in re.split(r"[,，;；]", s):
            verb = REPEAL_VERB.search(clause)
            if not verb or verb.group(0).startswith("以本"):
                continue
            for t in TITLE_RE.finditer(clause[: verb.start()]):
                if NOT_A_REPEAL_BEFORE.search(clause[: t.start()]) or REVISES.search(clause[: t.end()]):
                    continue
                # The title must be what the verb applies to: only other titles, 文号 and fillers
                # ("同时", "自本办法施行之日起") may stand between them. "符合《X》条件的企业不再
                # 执行原标准" does not repeal X.
                if not _REPEAL_GAP.fullmatch(_TITLES_AND_NUMBERS.sub("", clause[t.end() : verb.start()])):
                    continue
                out.append(RepealTarget(t.group(1) or t.group(2), _number_after(clause, t.end()), s))
        out.extend(_repealed_after_verb(s))
    best: dict[tuple[str, str], RepealTarget] = {}
    for r in out:  # one entry per title: the one that also gives its 文号
        key = (r.title, r.kind)
        if key not in best or (r.doc_number and not best[key].doc_number):
            best[key] = r
    return list(best.values())


_FORWARD_REPEAL = re.compile(r"(?<![不未])(?:决定|现|予以|同时)废止(?=[《“])")


def _repealed_after_verb(sentence: str) -> list[RepealTarget]:
    """ "决定废止《A》(文号)、《B》": the titles that follow the verb, outside any title."""
    out: list[RepealTarget] = []
    for verb in _FORWARD_REPEAL.finditer(sentence):
        before = sentence[: verb.start()]
        if before.count("《") != before.count("》") or NOT_A_REPEAL_BEFORE.search(before):
            continue
        pos = verb.end()
        for t in TITLE_RE.finditer(sentence, pos):
            if _TITLES_AND_NUMBERS.sub("", sentence[pos : t.start()]):
                break
            out.append(RepealTarget(t.group(1) or t.group(2), _number_after(sentence, t.end()), sentence))
            pos = t.end()
    return out


def _number_after(text: str, pos: int) -> str:
    m = _DOCNO_IN_PARENS.match(text[pos:])
    return normalise_doc_number(m.group(1)) if m else ""


_NO_VALUE = frozenset({"", "----", "--", "无"})  # an info field printed empty


def extract(
    title: str,
    text: str,
    meta: Mapping[str, str] | None = None,
    published: date | None = None,
    *,
    folded: bool = False,
) -> Lifecycle:
    """Read the lifecycle of one policy. `meta` holds info-table fields (发文字号, 发文机关, 成文日期,
    发布日期, 实施日期, 废止日期, 有效性) and gov meta tags (PubDate, ContentSource). `folded`: the
    text is folded already (a Document's body_text; folding is idempotent), and is not folded again
    (a tenth of reading a page)."""
    folded_meta = ((k, fold(v)) for k, v in (meta or {}).items() if v)  # each value folded once
    meta = {k: v for k, v in folded_meta if v not in _NO_VALUE}
    if not folded:
        text = fold(text)
    sentences = [s for line in text.split("\n") for s in split_sentences(line)]
    doc_number = normalise_doc_number(meta.get("发文字号", "")) or own_doc_number(title, text)
    issuers = _issuers(meta, sentences)
    written = parse_date(meta.get("成文日期"))
    published = (
        parse_date(meta.get("发布日期"))
        or published
        or promulgation_date(text)
        or signature_date(text)
        or written
        or parse_date(meta.get("PubDate"))
    )
    validity = _validity_sentences(sentences)
    effective = _effective(validity, written, published)
    if meta.get("实施日期"):
        effective = DateRule(parse_date(meta["实施日期"]), "[实施日期] " + meta["实施日期"])
    expires, trial = _expires(validity, effective)
    return Lifecycle(
        title=fold(title),
        doc_number=doc_number,
        issuers=issuers,
        written=written,
        published=published,
        effective=effective,
        expires=expires,
        repeals=tuple(_repeals(sentences)),
        official_status=meta.get("有效性", ""),
        official_repeal_date=parse_date(meta.get("废止日期")),
        trial=trial or "试行" in title,
    )


def _issuers(meta: Mapping[str, str], sentences: list[str]) -> tuple[str, ...]:
    for key in ("发文机关", "发文机构", "ContentSource"):
        if meta.get(key):
            names = [*re.split(r"[、,，;；\s]+", meta[key]), *re.split(r"[、,，;；\s]+", meta.get("联合发文单位", ""))]
            return tuple(dict.fromkeys(n for n in names if n))
    for s in reversed(sentences):
        m = INTERPRETER.search(s)
        if m:
            return tuple(dict.fromkeys(n for part in m.group(1).split("、") for n in _split_organs(part) if n))
    return ()


def _split_organs(text: str) -> list[str]:
    """ "A委员会和B部" names two bodies; "发展和改革委员会" is one: split on 和 only between organ names."""
    for i, ch in enumerate(text):
        if ch == "和" and _ORGAN_END.search(text[:i]) and i + 1 < len(text):
            return [text[:i], *_split_organs(text[i + 1 :])]
    return [text]
