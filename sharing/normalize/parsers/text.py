"""Decoding uploads to text, refusing binary data and pathological lines."""

import codecs
import re

from sharing.normalize.parsers import NormalisationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def decode_text(raw: bytes, *, max_line_chars: int) -> str:
    """`raw` as UTF-8 text (a BOM is dropped), or a NormalisationError saying why not."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # UTF-16 (Windows editors, PowerShell redirects): text, with a NUL in every other byte.
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise NormalisationError("This file says it is UTF-16 text but is not.") from None
    if b"\x00" in raw[:65536]:
        raise NormalisationError(
            "This file is binary data, not text. Upload a text, CSV, STIX or MISP JSON file."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise NormalisationError(
            "This file is not UTF-8 text (it may be binary data or another encoding).",
            [{"line": bad_line, "message": f"undecodable byte at offset {exc.start}"}],
        ) from None
    # A stray NUL further in cannot be stored (PostgreSQL text refuses it) and means nothing.
    text = text.removeprefix(codecs.BOM_UTF8.decode()).replace("\x00", "")
    control = len(_CONTROL.findall(text, 0, 65536))
    if control > 16:
        raise NormalisationError("This file is binary data, not text.")
    if len(text) <= max_line_chars:  # no line can be longer than the whole text
        return text
    for line_number, line in enumerate(text.splitlines(), start=1):
        if len(line) > max_line_chars:
            raise NormalisationError(
                f"Line {line_number} is {len(line):,} characters long; the limit is "
                f"{max_line_chars:,}. Split the text into lines or upload a structured file.",
                [{"line": line_number, "message": "line too long"}],
            )
    return text
