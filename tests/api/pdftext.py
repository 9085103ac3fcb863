"""Reading text back out of the PDFs fpdf2 writes, in pure Python (no PDF library installed).

fpdf2 embeds TrueType fonts as Type0/Identity-H: each ``(…) Tj`` string is a run of 2-byte
glyph codes, mapped back to Unicode by the font's ``/ToUnicode`` CMap. This reads exactly that
much of the format: objects, their streams (Flate or plain), the fonts of each page's
resources, their CMaps, and the ``Tf``/``Tj`` operators of the content streams.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj\s*<<((?:(?!endobj).)*?)>>\s*(stream\r?\n)?", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (its dictionary's text, its decoded stream or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for m in _OBJ.finditer(data):
        head, stream = m.group(2), None
        if m.group(3):
            length = int(re.search(rb"/Length (\d+)", head).group(1))  # type: ignore[union-attr]
            raw = data[m.end() : m.end() + length]
            stream = zlib.decompress(raw) if b"/FlateDecode" in head else raw
        out[int(m.group(1))] = (head, stream)
    return out


def _cmap(text: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, uni in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            base = int(uni, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(base + i)
    return out


def _unescape(s: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = s[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt.isdigit():
            m = re.match(rb"[0-7]{1,3}", s[i + 1 :])
            assert m is not None
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
        else:  # \( \) \\
            out += nxt
            i += 2
    return bytes(out)


_STR = rb"\(((?:\\.|[^\\)])*)\)"  # a literal string; group: its bytes, still escaped
_ANY_STR = rb"\((?:\\.|[^\\)])*\)"
_OPS = re.compile(
    rb"/(F\d+)\s+[\d.]+\s+Tf|" + _STR + rb"\s*Tj|\[((?:" + _ANY_STR + rb"|[^\]()])*)\]\s*TJ",
    re.S,
)


def text_runs(data: bytes) -> list[str]:
    """Every ``Tj`` string (and ``TJ`` array) of every page, in drawing order, as Unicode."""
    objs = objects(data)
    fonts: dict[bytes, dict[int, str]] = {}
    for head, _ in objs.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", head):
            font_head = objs[int(ref)][0]
            tu = re.search(rb"/ToUnicode (\d+) 0 R", font_head)
            if tu is not None:
                fonts[name] = _cmap(objs[int(tu.group(1))][1] or b"")
    runs: list[str] = []
    for _, (head, _) in sorted(objs.items()):  # pages in object order: fpdf2 writes them so
        page = re.search(rb"/Contents (\d+) 0 R", head)
        if page is None:
            continue
        content = objs[int(page.group(1))][1]
        cmap: dict[int, str] = {}
        for m in _OPS.finditer(content or b""):
            if m.group(1):
                cmap = fonts[m.group(1)]
                continue
            if m.group(2) is not None:
                raw = _unescape(m.group(2))
            else:  # [(…) -318 (…)] TJ: strings with spacing between them (justified text)
                raw = b"".join(_unescape(x) for x in re.findall(_STR, m.group(3), re.S))
            codes = [int.from_bytes(raw[k : k + 2], "big") for k in range(0, len(raw), 2)]
            runs.append("".join(cmap.get(c, "\ufffd") for c in codes))
    return runs


def page_count(data: bytes) -> int:
    """The page tree's ``/Count``."""
    m = re.search(rb"/Count (\d+)\s*/Kids", data)
    assert m is not None, "no page tree"
    return int(m.group(1))
