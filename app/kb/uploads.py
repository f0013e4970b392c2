"""Receiving a multipart upload of knowledge-base files without trusting it.

The request body is parsed as it streams in (python-multipart's push parser, fed chunk by chunk in a worker
thread) and each file part is written to its own temporary file under ``data_dir/uploads/<id>/``, named
by position, never by the name the client sent. A part that grows past the per-file limit stops being
written at the limit (its temporary file is removed, the rest of it is read and dropped) and comes back
refused as ``file_too_large``: nothing the size of a 200 MB file is ever held in memory or kept on disk.
A body larger than the whole-request cap is cut off with 413. File names are checked here: an empty name,
control characters, a backslash, an absolute path or a ``..`` segment is refused as ``invalid_filename``;
``folder/file.md`` (a folder upload) is kept as the document's source.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.errors import AppError, ErrorCode

_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_NAME_CHARS = 255
MAX_FIELD_BYTES = 4096


@dataclass
class ReceivedFile:
    """One file part. ``path`` is None when it was refused (``rejected`` = (code, detail))."""

    name: str
    size: int = 0
    sha256: str = ""
    path: Path | None = None
    rejected: tuple[str, str] | None = None

    def read(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else b""


@dataclass
class Upload:
    files: list[ReceivedFile]
    fields: dict[str, str]
    directory: Path

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def check_name(raw: str) -> tuple[str, str | None]:
    """(the name to keep, None) or (a printable form of it, why it is refused)."""
    name = unicodedata.normalize("NFC", raw).strip()
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)[:MAX_NAME_CHARS] or "(no name)"
    if not name:
        return shown, "the file has no name"
    if len(name) > MAX_NAME_CHARS:
        return shown, f"file names are at most {MAX_NAME_CHARS} characters"
    if any(not ch.isprintable() for ch in name):
        return shown, "the file name contains control characters"
    if "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return shown, "the file name is a path; send the file's own name"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return shown, "the file name climbs out of its folder ('..') or has empty parts"
    return name, None


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    file: ReceivedFile | None = None
    out: IO[bytes] | None = None
    digest: hashlib._Hash | None = None


class _Receiver:
    """python-multipart callbacks; every method runs in the worker thread that feeds the parser."""

    def __init__(self, directory: Path, *, max_file_bytes: int, max_files: int) -> None:
        self.directory = directory
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.files: list[ReceivedFile] = []
        self.fields: dict[str, str] = {}
        self._part = _Part()
        self._hname = b""
        self._hvalue = b""
        self._disposition = b""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self) -> None:
        self._part = _Part()
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        if self._hname.lower() == b"content-disposition":
            self._disposition = self._hvalue
        self._hname, self._hvalue = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        part = self._part
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        name, problem = check_name(options[b"filename"].decode("utf-8", "replace"))
        received = ReceivedFile(name=name)
        part.file = received
        self.files.append(received)
        if problem is not None:
            received.rejected = ("invalid_filename", problem)
        elif len(self.files) > self.max_files:
            received.rejected = ("too_many_files", f"at most {self.max_files} files per upload")
        else:
            received.path = self.directory / f"{len(self.files):04d}.bin"
            part.out = received.path.open("wb")
            part.digest = hashlib.sha256()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        chunk = data[start:end]
        if part.file is None:
            if len(part.data) + len(chunk) > MAX_FIELD_BYTES:
                raise AppError(ErrorCode.VALIDATION_ERROR, f"form field {part.name!r} is too long")
            part.data.extend(chunk)
            return
        received = part.file
        received.size += len(chunk)
        if part.out is None:
            return
        if received.size > self.max_file_bytes:
            self._drop(received, f"over {self.max_file_bytes} bytes; the limit is {self.max_file_bytes}")
            return
        part.out.write(chunk)
        assert part.digest is not None
        part.digest.update(chunk)

    def _drop(self, received: ReceivedFile, detail: str) -> None:
        part = self._part
        if part.out is not None:
            part.out.close()
            part.out = None
        if received.path is not None:
            received.path.unlink(missing_ok=True)
            received.path = None
        received.rejected = ("file_too_large", detail)

    def on_part_end(self) -> None:
        part = self._part
        if part.file is None:
            if part.name:
                self.fields[part.name] = part.data.decode("utf-8", "replace")
            return
        if part.out is not None:
            part.out.close()
            part.out = None
            assert part.digest is not None
            part.file.sha256 = part.digest.hexdigest()
        if part.file.rejected is None and part.file.size == 0:
            if part.file.path is not None:
                part.file.path.unlink(missing_ok=True)
            part.file.path = None
            part.file.rejected = ("empty_file", "the file is empty (0 bytes)")

    def close(self) -> None:
        if self._part.out is not None:
            self._part.out.close()


async def receive_upload(
    chunks: AsyncIterator[bytes],
    content_type: str,
    *,
    root: Path,
    max_file_bytes: int,
    max_files: int,
    max_total_bytes: int,
) -> Upload:
    """Parse a ``multipart/form-data`` body from ``chunks`` into files on disk under a new folder of
    ``root`` (the caller calls ``Upload.cleanup()``). Raises ``AppError``: 422 ``validation_error`` for a
    body that is not multipart or is malformed, 413 ``payload_too_large`` past ``max_total_bytes``."""
    media, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise AppError(ErrorCode.VALIDATION_ERROR, "send the files as multipart/form-data")
    directory = root / uuid.uuid4().hex
    await asyncio.to_thread(directory.mkdir, parents=True)
    receiver = _Receiver(directory, max_file_bytes=max_file_bytes, max_files=max_files)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > max_total_bytes:
                raise AppError(ErrorCode.PAYLOAD_TOO_LARGE, f"an upload is at most {max_total_bytes} bytes")
            if chunk:
                await asyncio.to_thread(parser.write, chunk)
        await asyncio.to_thread(parser.finalize)
    except FormParserError as exc:
        await asyncio.to_thread(_abandon, receiver, directory)
        raise AppError(ErrorCode.VALIDATION_ERROR, f"malformed multipart body: {exc}") from None
    except BaseException:
        await asyncio.to_thread(_abandon, receiver, directory)
        raise
    if not receiver.files:
        await asyncio.to_thread(shutil.rmtree, directory, True)
        raise AppError(ErrorCode.VALIDATION_ERROR, "the upload holds no file (form field 'files')")
    return Upload(receiver.files, receiver.fields, directory)


def _abandon(receiver: _Receiver, directory: Path) -> None:
    receiver.close()
    shutil.rmtree(directory, ignore_errors=True)
