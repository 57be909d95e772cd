"""How a version's text and document are kept small on disk (issue #16: ≤ 12 KB per stored version).

* The normalised text is compressed on SQLite (a BLOB in its column: SQLite columns hold any type)
  and plain on PostgreSQL, whose TOAST compresses it (lz4, migration 0021) and whose ILIKE searches
  it. SQL that compares it (`Version.text.ilike(…)`) reads the unpacked text on both: SQLite through
  the `pw_unpack()` function every connection registers (monitor.store.db).
* The document (title, meta, clauses) repeats the text line for line: each clause's text is a line
  of the text's body. It is stored without those texts (`outline`) whenever they can be read back
  from the text exactly — checked when it is stored; otherwise it is stored whole.
* Compressed values are zstd frames (level 3): on government pages (~8 KB of text, ~9 KB of HTML)
  3× faster than zlib's level 4, which was ~0.3 ms of every stored page's CPU, and decompressed 3×
  faster, for ~5% more bytes. Rows written before (zlib streams) read the same: each value says
  which it is by its first bytes (migration 0019).
* The response body is compressed with the version's text as a prefix its frame refers to: the
  page's words are in the text already, so the body's frame holds little more than the markup
  (government pages: 4.0 KB → 0.7 KB on the benchmark's, 9.1 → 5.0 KB on real ones with their
  menus and footers). Such a frame starts with `TEXT_REF` and reads back only with that same text:
  a version whose text changes (a re-reading, monitor.correct) has its body re-packed
  (Version._keep_body_readable). Bodies written before (migration 0020) stand alone.

Rows written before packing (plain text, whole documents) read the same: both forms are recognised.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any

import zstandard
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_LEVEL = 3
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # every zstd frame's first bytes; a zlib stream starts with 0x78
TEXT_REF = b"PWt1"  # a body's frame that refers to its version's text (pack_body), then the frame


class _Contexts(threading.local):
    """zstd's contexts, one pair per thread: an instance may not be used by two threads at once, and
    making one costs ~20 µs, as much as compressing a page."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=_LEVEL)
        self.decompressor = zstandard.ZstdDecompressor()


_CONTEXTS = _Contexts()


def pack(data: bytes) -> bytes:
    return _CONTEXTS.compressor.compress(data)


def unpack(blob: bytes | memoryview) -> bytes:
    """The bytes of a packed value: a zstd frame, or a zlib stream as written before migration 0019."""
    if bytes(blob[:4]) == ZSTD_MAGIC:
        return _CONTEXTS.decompressor.decompress(blob)
    return zlib.decompress(blob)


def _text_dict(text: str) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(text.encode("utf-8"), dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def pack_body(body: bytes, text: str) -> bytes:
    """A fetched page's response body as its version keeps it (`Version.raw_html_z`), `text` being
    the version's text: the frame refers to it (the module's docstring). ~30 µs more than `pack`."""
    if not text:
        return pack(body)
    # A compressor of its own: a dictionary is fixed when the compressor is made. Its id is not
    # written (a raw text has none); TEXT_REF says what the frame needs.
    compressor = zstandard.ZstdCompressor(level=_LEVEL, dict_data=_text_dict(text), write_dict_id=False)
    return TEXT_REF + compressor.compress(body)


def unpack_body(blob: bytes | memoryview, text: str) -> bytes:
    """The response body of a version whose text is `text` (see pack_body)."""
    if bytes(blob[:4]) != TEXT_REF:
        return unpack(blob)
    return zstandard.ZstdDecompressor(dict_data=_text_dict(text)).decompress(blob[4:])


def pack_text(text: str) -> bytes:
    return pack(text.encode("utf-8"))


def unpack_text(value: str | bytes | memoryview | None) -> str | None:
    """The text of a stored value: packed (bytes) or as written before packing (str)."""
    if isinstance(value, bytes | memoryview):
        return unpack(value).decode("utf-8")
    return value


class UnpackedText(FunctionElement[str]):
    """SQL: the readable text of a PackedText column (pw_unpack(col) on SQLite, the column elsewhere)."""

    type = Text()
    inherit_cache = True
    name = "pw_unpack"


@compiles(UnpackedText)
def _unpacked_plain(element: UnpackedText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(UnpackedText, "sqlite")
def _unpacked_sqlite(element: UnpackedText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"pw_unpack({compiler.process(element.clauses, **kw)})"


class PackedText(TypeDecorator[str]):
    """Text compressed on SQLite, plain on PostgreSQL; compared in SQL by its unpacked value."""

    impl = Text
    cache_ok = True

    class Comparator(TypeDecorator.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            return op(UnpackedText(self.expr), *other, **kwargs)

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            return op(other, UnpackedText(self.expr), **kwargs)

    comparator_factory = Comparator

    def process_bind_param(self, value: str | None, dialect: Any) -> str | bytes | None:
        if value is None or dialect.name != "sqlite":
            return value
        return pack_text(value)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return unpack_text(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return Text()  # a LIKE pattern or a compared string stays a plain string


def _body_lines(text: str | None) -> list[str] | None:
    if not text or "\n\n" not in text:
        return None
    return text.split("\n\n", 1)[1].split("\n")


def pack_document(document: dict[str, Any] | None, text: str | None) -> dict[str, Any] | None:
    """The document without its clause texts when they are exactly the lines of the text's body."""
    if not document or "clauses" not in document:
        return document
    clauses = document["clauses"]
    lines = _body_lines(text)
    if not clauses or lines is None or lines != [clause[3] for clause in clauses]:
        return document
    packed = {key: value for key, value in document.items() if key != "clauses"}
    packed["outline"] = [list(clause[:3]) for clause in clauses]
    return packed


def unpack_document(stored: dict[str, Any] | None, text: str | None) -> dict[str, Any] | None:
    """The whole document (title, meta, clauses [label, kind, path, text]) from its stored form."""
    if not stored or "outline" not in stored:
        return stored
    lines = _body_lines(text) or []
    if len(lines) != len(stored["outline"]):
        raise ValueError("a packed document does not match its version's text")
    document = {key: value for key, value in stored.items() if key != "outline"}
    document["clauses"] = [[*head, line] for head, line in zip(stored["outline"], lines, strict=True)]
    return document
