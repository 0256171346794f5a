"""Recordings are served only through here, after an access check.

Streamed in chunks from an async iterator: Django's ASGI handler reads a synchronous
file response whole into memory before sending it (a recording can be hundreds of MB).
A single `Range: bytes=` request is answered 206 with that part, so the player seeks
without downloading what comes before.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import AsyncIterator
from typing import IO

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from accounts import audit
from meetings.selectors import meeting_get
from mina.errors import NotFound

from .models import Recording

CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Unsatisfiable(Exception):
    pass


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `bytes=` range, or None for the whole file: no
    header, several ranges or one we do not understand (RFC 9110 lets a server ignore
    those). Unsatisfiable raised for a range that starts past the end."""
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        if int(last) == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - int(last)), size - 1
    start, end = int(first), int(last) if last else size - 1
    if start >= size or end < start:
        raise Unsatisfiable
    return start, min(end, size - 1)


async def _read(file: IO[bytes], length: int) -> AsyncIterator[bytes]:
    read = sync_to_async(file.read, thread_sensitive=False)
    try:
        while length > 0:
            chunk = await read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:  # also when the listener goes away mid-file
        await sync_to_async(file.close, thread_sensitive=False)()


def _open(recording: Recording) -> tuple[IO[bytes], int]:
    """The recording's file, open, and its size. After a live meeting the job replaces the
    WAV with a compressed copy (jobs._compress) while the page may already play it: a file
    gone by the time it is opened means the row names the new one now."""
    try:
        file = recording.file.open("rb")
    except FileNotFoundError:
        recording.refresh_from_db(fields=["file"])
        try:
            file = recording.file.open("rb")
        except FileNotFoundError:
            raise Http404("Recording not found.") from None
    size = file.seek(0, os.SEEK_END)  # from the open file: the name may be deleted meanwhile
    file.seek(0)
    return file, size


@login_required
def recording_audio(request: HttpRequest, recording_id: int) -> HttpResponse | StreamingHttpResponse:
    """The audio of a recording: inline for the page's player, `?download=1` to save it."""
    recording = Recording.objects.filter(pk=recording_id).only("meeting_id", "file", "original_name").first()
    if recording is None or not recording.file:
        raise Http404("Recording not found.")
    try:
        meeting, _ = meeting_get(user=request.user, meeting_id=recording.meeting_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    file, size = _open(recording)
    download = request.GET.get("download") == "1"
    name = str(recording.file.name)
    extension = os.path.splitext(name)[1]
    filename = f"{meeting.title[:60]}-{recording.pk}{extension}".replace("/", "-")
    if download:
        audit.record("recording_downloaded", actor=request.user, workspace=meeting.workspace, target=recording)
    content_type = mimetypes.guess_type(name)[0] or ""
    if not content_type.startswith(("audio/", "video/")):  # a file stored under another name is never a page
        content_type = "application/octet-stream"
    try:
        part = requested_range(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        file.close()
        return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = part or (0, size - 1)
    file.seek(start)
    headers = {
        "Content-Length": str(end - start + 1),
        "Accept-Ranges": "bytes",
        "Content-Disposition": str(content_disposition_header(download, filename)),
        "Cache-Control": "private, no-store",
    }
    if part:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingHttpResponse(_read(file, end - start + 1), status=206 if part else 200,
                                 content_type=content_type, headers=headers)
