"""Compressed uploads (gzip, zip): unpacked with a hard limit so a bomb cannot fill memory."""

import gzip
import io
import zipfile
import zlib

from sharing.normalize.parsers import NormalisationError

_CHUNK = 1 << 20


def _too_big(limit: int) -> NormalisationError:
    return NormalisationError(
        f"The archive expands to more than {limit // (1024 * 1024)} MB, the size limit; "
        "it was not unpacked."
    )


def unpack(raw: bytes, *, limit: int) -> bytes:
    """The content of a gzip or single-file zip upload, or `raw` when it is not compressed."""
    if raw[:2] == b"\x1f\x8b":
        return _gunzip(raw, limit)
    if raw[:4] == b"PK\x03\x04":
        return _unzip(raw, limit)
    return raw


def _gunzip(raw: bytes, limit: int) -> bytes:
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > limit:
                    raise _too_big(limit)
    except (OSError, EOFError, zlib.error) as exc:
        raise NormalisationError(f"The gzip file is damaged or truncated ({exc}).") from None
    return bytes(out)


def _unzip(raw: bytes, limit: int) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise NormalisationError(f"The zip file is damaged ({exc}).") from None
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) != 1:
        raise NormalisationError(
            f"The zip file holds {len(members)} files; upload one file per submission."
        )
    info = members[0]
    if info.file_size > limit:
        raise _too_big(limit)
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > limit:  # the declared size can lie
                    raise _too_big(limit)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError) as exc:
        raise NormalisationError(f"The zip file is damaged or encrypted ({exc}).") from None
    return bytes(out)
