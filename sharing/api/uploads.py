"""Request bodies for submissions, read from the stream up to NORMALIZE_MAX_UPLOAD_BYTES
rather than through Django's form-size limit (DATA_UPLOAD_MAX_MEMORY_SIZE), which is far
smaller and meant for forms.

A raw upload (any media type but JSON: the file itself as the body, `kind` and `filename`
in the query string) is read in chunks into one buffer and stored from it: held once.
JSON bodies are read the same way and then decoded.
"""

import json
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, parsers, status

CHUNK = 256 * 1024
# A JSON body carries the content as a string plus a few short fields.
JSON_ENVELOPE_BYTES = 64 * 1024


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The upload is larger than the limit of {limit} bytes "
            f"({limit / 1048576:.0f} MB, NORMALIZE_MAX_UPLOAD_BYTES). Split it into smaller ones."
        )


def read_limited(stream: IO[bytes], *, limit: int, declared: int) -> bytearray:
    """The whole body, or UploadTooLarge as soon as it is known to exceed the limit."""
    if declared > limit:
        raise UploadTooLarge(settings.NORMALIZE_MAX_UPLOAD_BYTES)
    buffer = bytearray()
    while chunk := stream.read(CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise UploadTooLarge(settings.NORMALIZE_MAX_UPLOAD_BYTES)
    return buffer


def _declared_length(parser_context: Any) -> int:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        return 0


class SubmissionJSONParser(parsers.BaseParser):
    """application/json up to the upload limit (plus the envelope's few fields)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.NORMALIZE_MAX_UPLOAD_BYTES + JSON_ENVELOPE_BYTES
        body = read_limited(stream, limit=limit, declared=_declared_length(parser_context))
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None


@dataclass(frozen=True)
class RawUpload:
    """A body that is the file itself (not JSON fields)."""

    raw: bytearray


class RawUploadParser(parsers.BaseParser):
    """Any other media type: the body is the file."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:
            return RawUpload(bytearray())
        limit = settings.NORMALIZE_MAX_UPLOAD_BYTES
        declared = _declared_length(parser_context)
        return RawUpload(read_limited(stream, limit=limit, declared=declared))
