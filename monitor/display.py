"""Chinese text shown as its source wrote it. Stored text is folded (monitor.normalise: full-width
ASCII becomes ASCII) so that a re-typeset comma is never a change; Chinese documents write their
punctuation full-width, so text shown to readers gets it back where it touches Chinese characters.
Between digits or Latin letters ("1,000", "Wi-Fi (5G)") ASCII stays."""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
# A mark with no Chinese character (nor full-width punctuation) right before or after it stays ASCII.
# The mark is matched first, its neighbours looked at after: the scan then skips in C to the next
# mark, where a lookbehind tried at every character made this filter a fifth of rendering a report.
_STAYS_ASCII = re.compile(rf"[,;:!?()](?<![{_CJK}].)(?![{_CJK}])")
# A parenthesis opened full-width closes full-width: "（2025)" → "（2025）", and the reverse — within
# its line (a line is a clause: monitor.web.render.clause_paragraphs shows them all in one pass).
_PAIR = re.compile(r"（([^()（）\n]*)\)|\(([^()（）\n]*)）")


def as_written(text: str) -> str:
    """Full-width punctuation back where folded text has ASCII next to Chinese characters."""
    if not text:
        return text
    # Every mark full-width, then the few between digits or Latin letters put back: no Python call
    # per mark (a Chinese text has one every few characters).
    shown = text
    for ascii_mark, full_mark in _FULL.items():  # str.replace runs in C; str.translate is slow on CJK text
        shown = shown.replace(ascii_mark, full_mark)
    stays = [m.start() for m in _STAYS_ASCII.finditer(text)]
    if stays:
        parts: list[str] = []
        last = 0
        for at in stays:
            parts += (shown[last:at], text[at])
            last = at + 1
        parts.append(shown[last:])
        shown = "".join(parts)
    return _PAIR.sub(lambda m: f"（{m.group(1) if m.group(1) is not None else m.group(2)}）", shown)
