"""Scan a folder source: the files under its path that match its glob, against what earlier syncs saw.

A file whose size and modification time are unchanged is not read again; one that was read is compared
by the sha256 of its bytes (touched but equal: unchanged). A known file no longer there (or no longer
matching the glob) is **removed**. Hidden files and folders are skipped; a link that leads out of the
folder is refused (``outside_folder``), as is a file over the upload limit (``file_too_large``, not read)
or of a type the loaders do not read (``unsupported_type``). A folder that is missing or unreadable fails
the whole sync (``folder_missing``): nothing is removed because a share was not mounted.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.connectors.changes import Change, Known, Outcome, Scan, ScanProgress
from retrieval.loaders import EXTENSIONS


class FolderMissing(Exception):
    """The folder cannot be listed (``folder_missing``) or holds too many files (``too_many_files``): the
    whole sync fails, nothing is removed."""

    def __init__(self, detail: str, code: str = "folder_missing") -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FolderSettings:
    path: str
    glob: str = "**/*"
    prefix: str = ""  # the documents' source: prefix + "/" + the file's path under the folder


def list_files(settings: FolderSettings, *, max_files: int) -> list[tuple[str, Path]]:
    """(path under the folder, file) for each matching file, sorted. Blocking: call it in a thread."""
    root = Path(settings.path)
    if not root.is_dir():
        raise FolderMissing(f"{root} is not a folder (missing, or not mounted)")
    try:
        matches = sorted(root.glob(settings.glob))
    except (OSError, ValueError) as exc:
        raise FolderMissing(f"{root} cannot be read: {exc}") from None
    out: list[tuple[str, Path]] = []
    for path in matches:
        rel = path.relative_to(root)
        if any(p.startswith(".") for p in rel.parts) or not path.is_file():
            continue
        out.append((rel.as_posix(), path))
        if len(out) > max_files:
            raise FolderMissing(
                f"more than {max_files} files match {settings.glob!r} under {root}", "too_many_files"
            )
    return out


def _stat_key(path: Path) -> tuple[str, int]:
    st = path.stat()
    return f"{st.st_mtime_ns}:{st.st_size}", st.st_size


def read_changes(
    settings: FolderSettings, files: list[tuple[str, Path]], known: dict[str, Known], max_bytes: int
) -> Scan:
    """The scan, from ``list_files``'s files. Blocking (reads files): call it in a thread."""
    scan = Scan()
    root = Path(settings.path).resolve()
    present: set[str] = set()
    for rel, path in files:
        present.add(rel)
        name = str(PurePosixPath(settings.prefix) / rel) if settings.prefix else rel
        k = known.get(rel)
        try:
            real = path.resolve()
            if not real.is_relative_to(root):
                scan.changes.append(
                    Change(rel, "failed", code="outside_folder", detail="a link out of the folder")
                )
                continue
            if PurePosixPath(rel).suffix.lower() not in EXTENSIONS:
                suffix = PurePosixPath(rel).suffix or "(none)"
                scan.changes.append(
                    Change(rel, "failed", code="unsupported_type", detail=f"{suffix} files are not read")
                )
                continue
            stamp, size = _stat_key(real)
            if k is not None and k.in_kb and k.last_modified == stamp:
                scan.changes.append(
                    Change(rel, "unchanged", name=name, last_modified=stamp, content_hash=k.content_hash)
                )
                continue
            if size > max_bytes:
                scan.changes.append(
                    Change(
                        rel, "failed", code="file_too_large", detail=f"{size} bytes; the limit is {max_bytes}"
                    )
                )
                continue
            data = real.read_bytes()
        except OSError as exc:
            scan.changes.append(Change(rel, "failed", code="unreadable", detail=str(exc)[:300]))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if k is not None and k.in_kb and k.content_hash == digest:
            scan.changes.append(Change(rel, "unchanged", name=name, last_modified=stamp, content_hash=digest))
            continue
        outcome: Outcome = "changed" if k is not None and k.document_id else "added"
        mime = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        scan.changes.append(
            Change(
                rel, outcome, name=name, data=data, mime_type=mime, last_modified=stamp, content_hash=digest
            )
        )
    for key in known:
        if key not in present:
            scan.changes.append(Change(key, "removed", code="deleted", detail="the file is gone"))
    return scan


async def scan_folder(
    settings: FolderSettings,
    known: dict[str, Known],
    *,
    max_files: int,
    max_bytes: int,
    progress: ScanProgress,
) -> Scan:
    import asyncio

    files = await asyncio.to_thread(list_files, settings, max_files=max_files)
    await progress(0, len(files), settings.path)
    return await asyncio.to_thread(read_changes, settings, files, known, max_bytes)
