"""Deciding what an uploaded file is from its content, before anything is stored.

Pure: takes the declared name, the first bytes and the size; raises ValidationError with a
message for the analyst. The name never decides the type; it only has to agree with it.
"""

from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# Content types accepted, with the file-name extensions that may carry them.
ACCEPTED: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "application/zip": ("zip",),
    "text/plain": ("txt", "log", "csv", "json", "md", "yar", "yara", "rules", "ioc", "xml"),
}
TEXT_SNIFF_BYTES = 8192
HEAD_BYTES = 8192


@dataclass(frozen=True)
class UploadVerdict:
    content_type: str
    safe_name: str


def sniff(head: bytes) -> str | None:
    """The MIME type read from the content, or None for something unrecognised."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    sample = head[:TEXT_SNIFF_BYTES]
    if b"\x00" in sample:
        return None
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(sample) - 4:
            return None
    return "text/plain"


def safe_display_name(name: str) -> str:
    """The file's own name reduced to a harmless label for the download."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(c for c in base if c.isalnum() or c in "._- ").strip(" .")
    return cleaned[:150] or "attachment"


def check_upload(*, name: str, head: bytes, size: int, max_bytes: int) -> UploadVerdict:
    """Accept the upload or say in words why not."""
    label = safe_display_name(name)
    if size > max_bytes:
        raise ValidationError(
            f"“{label}” is {filesizeformat(size)}; attachments may be at most "
            f"{filesizeformat(max_bytes)}. Nothing else in your draft was lost."
        )
    if size == 0:
        raise ValidationError(f"“{label}” is empty.")
    detected = sniff(head)
    if detected is None or detected not in ACCEPTED:
        described = detected or "an unrecognised binary format"
        raise ValidationError(
            f"“{label}” is {described}, which cannot be attached. Accepted: PDF, PNG, JPEG, "
            "GIF, ZIP and plain text (.txt, .csv, .json, .log, YARA rules)."
        )
    extension = PurePath(label).suffix.lower().lstrip(".")
    if extension not in ACCEPTED[detected]:
        raise ValidationError(
            f"“{label}” is named .{extension or '(none)'} but its content is {detected}. "
            "Rename it to match what it is, or attach the right file."
        )
    return UploadVerdict(content_type=detected, safe_name=label)
