"""Bytes of an uploaded file → text, in the encoding it was most likely written in, saying which.

Spreadsheets save CSVs in UTF-8 (with or without a byte-order mark), UTF-16 (Excel's
"Unicode text", sometimes without a BOM), or a legacy code page: Windows-1252 in
Western Europe and the Americas, Shift-JIS in Japan, GBK in mainland China. A legacy
file decodes without error in several code pages, so each candidate is scored by how
plausible its non-ASCII characters are, and the result is named on the page (never
a silent Latin-1). Invisible formatting characters (zero-width spaces, right-to-left
marks) are removed: they never belong to a number, a date or a column name.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

# Legacy code pages tried when a file is not UTF-8, and the names the page shows.
LEGACY = {"cp1252": "Windows-1252 (Western European)", "cp932": "Shift-JIS (Japanese)",
          "gb18030": "GBK (Simplified Chinese)", "latin-1": "Latin-1"}
NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "utf-16": "UTF-16", **LEGACY}
# Zero-width characters, bidirectional marks, embeddings, overrides and isolates, soft hyphen, word joiner, BOM.
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SAMPLE = 1 << 16


class NotText(ValueError):
    """The bytes are not text in any encoding tried."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # a Python codec name (a key of NAMES)
    sure: bool  # False when another legacy code page was almost as plausible
    invisible_removed: int  # count of invisible formatting characters removed

    @property
    def label(self) -> str:
        return NAMES.get(self.encoding, self.encoding)


def _utf16_without_bom(sample: bytes) -> Optional[str]:
    """'utf-16-le' or 'utf-16-be' when every other byte is zero (mostly ASCII text in UTF-16), else None."""
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even, odd = sample[0:2 * pairs:2], sample[1:2 * pairs:2]
    zero_even, zero_odd = even.count(0) / pairs, odd.count(0) / pairs
    if zero_odd > 0.6 and zero_even < 0.05:
        return "utf-16-le"
    if zero_even > 0.6 and zero_odd < 0.05:
        return "utf-16-be"
    return None


def _is_latin_letter(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "") and ch.isalpha()


_WESTERN_SYMBOLS = set("€£¥°µ§©®±²³·×÷–—‘’‚“”„…‰ªº¿¡«»¢\u00a0")


def _plausibility(text: str, codec: str) -> float:
    """Mean plausibility (0–1) of the non-ASCII characters of `text` decoded with `codec`."""
    scores = []
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        cp = ord(ch)
        if codec in ("cp1252", "latin-1"):
            # Western text: an accented letter inside a word of ASCII letters, or a known symbol.
            # Mojibake of a double-byte text comes in runs of non-ASCII characters instead.
            prev = text[i - 1] if i else " "
            nxt = text[i + 1] if i + 1 < len(text) else " "
            alone = prev < "\x80" and nxt < "\x80"
            if ch in _WESTERN_SYMBOLS:
                scores.append(1.0 if alone else 0.4)
            elif _is_latin_letter(ch):
                scores.append(1.0 if alone else 0.5 if (prev < "\x80" or nxt < "\x80") else 0.2)
            else:
                scores.append(0.0)
        elif codec == "cp932":
            if 0x3040 <= cp <= 0x30FF:  # hiragana and katakana: only Japanese has them
                scores.append(1.0)
            elif 0x4E00 <= cp <= 0x9FFF:
                # JIS level 1 kanji (the common ones) are lead bytes 0x88–0x98 in Shift-JIS.
                lead = ch.encode("cp932", errors="ignore")[:1]
                scores.append(1.0 if lead and 0x88 <= lead[0] <= 0x98 else 0.4)
            elif 0xFF01 <= cp <= 0xFF5E or 0x3000 <= cp <= 0x303F:
                scores.append(0.9)
            elif 0xFF61 <= cp <= 0xFF9F:  # half-width katakana: rare today, typical of misread GBK
                scores.append(0.1)
            else:
                scores.append(0.2)
        elif codec == "gb18030":
            try:
                common = len(ch.encode("gb2312")) == 2 and 0x4E00 <= cp <= 0x9FFF
            except UnicodeEncodeError:
                common = False
            if common:
                scores.append(1.0)
            elif 0xFF01 <= cp <= 0xFF5E or 0x3000 <= cp <= 0x303F:
                scores.append(0.9)
            elif 0x4E00 <= cp <= 0x9FFF:
                scores.append(0.3)
            else:
                scores.append(0.1)
    return sum(scores) / len(scores) if scores else 1.0


def _legacy(data: bytes) -> tuple[str, bool]:
    """The most plausible legacy code page for `data`, and whether it clearly beat the others."""
    sample = data[:_SAMPLE]
    ranked = []
    for codec in ("cp1252", "cp932", "gb18030"):
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError as err:
            if err.start < len(sample) - 4:  # a failure only at the cut-off is a split character
                continue
            text = sample[:err.start].decode(codec)
        ranked.append((_plausibility(text, codec), codec))
    if not ranked:
        return "latin-1", False
    ranked.sort(reverse=True)
    best_score, best = ranked[0]
    sure = best_score >= 0.6 and (len(ranked) == 1 or best_score - ranked[1][0] >= 0.2)
    return best, sure


def _control_fraction(text: str) -> float:
    sample = text[:_SAMPLE]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls / max(1, len(sample))


def unicode_codec(data: bytes) -> Optional[str]:
    """The Unicode encoding the bytes announce or show: 'utf-8-sig' or 'utf-16' by their byte-order mark,
    'utf-16-le' or 'utf-16-be' by the zero in every other byte of mostly ASCII text, else None."""
    if data[:3] == b"\xef\xbb\xbf":
        return "utf-8-sig"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    return _utf16_without_bom(data[:_SAMPLE])


def decode(data: bytes, encoding: Optional[str] = None) -> Decoded:
    """Text of `data`: by BOM, UTF-16 pattern, UTF-8, else the most plausible legacy code page.

    `encoding` (a key of NAMES) forces a codec. Raises `NotText` for binary data.
    """
    sure = True
    if encoding:
        codec = encoding
    else:
        codec = unicode_codec(data)
        if codec == "utf-8-sig":
            codec = "utf-8"
        elif codec is None:
            if b"\x00" in data[:_SAMPLE]:
                raise NotText("binary")
            try:
                data.decode("utf-8")
                codec = "utf-8"
            except UnicodeDecodeError:
                codec, sure = _legacy(data)
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError:
        if encoding is None and codec.startswith("utf-16"):
            raise NotText("broken utf-16") from None
        text = data.decode(codec, errors="replace")
        sure = False
    text = text.lstrip("\ufeff")
    if _control_fraction(text) > 0.01:
        raise NotText("control characters")
    removed = 0
    if not text.isascii():
        text, removed = INVISIBLE.subn("", text)
    return Decoded(text, codec, sure, removed)
