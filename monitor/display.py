"""Chinese text shown as its source wrote it. Stored text is folded (monitor.normalise: full-width
ASCII becomes ASCII) so that a re-typeset comma is never a change; Chinese documents write their
punctuation full-width, so text shown to readers gets it back where it touches Chinese characters.
Between digits or Latin letters ("1,000", "Wi-Fi (5G)") ASCII stays."""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_IS_CJK = re.compile(rf"[{_CJK}]")
# Each ASCII punctuation mark, then a look at its neighbours: a lookbehind tried at every character
# made this filter a fifth of rendering a report.
_PUNCT = re.compile(r"[,;:!?()]")
# A parenthesis opened full-width closes full-width: "（2025)" → "（2025）", and the reverse.
_PAIR = re.compile(r"（([^()（）]*)\)|\(([^()（）]*)）")


def as_written(text: str) -> str:
    """Full-width punctuation back where folded text has ASCII next to Chinese characters."""
    if not text:
        return text
    text = _PUNCT.sub(_full_near_cjk, text)
    return _PAIR.sub(lambda m: f"（{m.group(1) if m.group(1) is not None else m.group(2)}）", text)


def _full_near_cjk(m: re.Match[str]) -> str:
    """The mark full-width when a Chinese character (or full-width punctuation) is right before or after it."""
    text, start, end = m.string, m.start(), m.end()
    near = (start > 0 and _IS_CJK.match(text, start - 1)) or (end < len(text) and _IS_CJK.match(text, end))
    return _FULL[m.group()] if near else m.group()
