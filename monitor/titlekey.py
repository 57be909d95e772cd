"""Title keys: how two titles of one document are recognised as the same, without scanning every policy.

A key is the folded title without spaces and book-title marks. Fuzzy matching (a repeal sentence's
《…》 against the titles of stored policies) only compares titles that share the first or last few
characters of their distinctive core (the title without its place, 关于印发 and document-type
ends) — two titles similar enough to be one document (ratio ≥ 0.92) almost always share one end —
so the candidates come from an index lookup, never from a pass over all policies."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

from rapidfuzz import fuzz, process

from monitor.normalise import fold

# How many characters at each end of a key the blocking columns hold.
BLOCK_CHARS = 4
# Minimum similarity (0–1) of two title keys to be taken as one document.
TITLE_MATCH_THRESHOLD = 0.92


class TitleKeys(NamedTuple):
    key: str
    head: str
    tail: str


def title_key(title: str) -> str:
    return fold(title or "").replace(" ", "").strip("《》")


# The ends of a title are its least distinctive parts: most titles of one library start with the same
# place and "关于印发" and end with a document type. Blocking uses the ends of what is left.
_LEADING = re.compile(
    r"^(?:[《〈]|[\u4e00-\u9fff]{2,8}?(?:省|自治区|市|区|县)|人民政府|办公厅|办公室|关于|印发|转发|发布|修订)*"
)
_TRAILING = re.compile(
    r"(?:[(（][^()（）]{1,12}[)）]|[》〉]|的|若干措施|若干政策|若干规定|实施细则|实施办法|实施意见|管理办法"
    r"|办法|措施|细则|规定|方案|意见|通知|决定|批复|规划|计划|指引|指南)*$"
)


def title_keys(title: str) -> TitleKeys:
    key = title_key(title)
    core = _TRAILING.sub("", _LEADING.sub("", key)) or key
    return TitleKeys(key, core[:BLOCK_CHARS], core[-BLOCK_CHARS:])


def length_bounds(key: str) -> tuple[int, int]:
    """The lengths another key must have to reach the threshold with `key`: fuzz.ratio is at most
    2·min(lengths)/(sum of lengths), so a much shorter or longer key can never match. Candidates
    are filtered by it in SQL, on an index of (one end, length): a library where many titles share
    one end ("…高质量发展", yearly editions, 第N批) returns its few plausible ones, not all of them."""
    t = TITLE_MATCH_THRESHOLD
    # The float bounds rounded inwards to whole lengths, with a margin for the division's rounding.
    return math.ceil(len(key) * t / (2 - t) - 1e-9), math.floor(len(key) * (2 - t) / t + 1e-9)


def title_similarity(a: str, b: str) -> float:
    """Similarity of two keys in 0–1, or 0 when below the matching threshold."""
    return fuzz.ratio(a, b, score_cutoff=TITLE_MATCH_THRESHOLD * 100) / 100


def best_match(key: str, candidates: Sequence[str]) -> tuple[int, float] | None:
    """(index, similarity) of the candidate most similar to `key` at or above the threshold — the
    first of equals — or None. Scored in rapidfuzz's C loop: a common title end can bring hundreds."""
    found = process.extractOne(key, candidates, scorer=fuzz.ratio, score_cutoff=TITLE_MATCH_THRESHOLD * 100)
    return None if found is None else (found[2], found[1] / 100)
