"""Recordings are served only through here, after an access check.

Who asks: the page's session, an app's Bearer token (as the API), or the signed link in
the recording's `audio.url` (links.py) for a player that cannot send a header. Either way
the user's access to the meeting is checked on every request.

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
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from rest_framework import exceptions

from accounts import audit
from accounts.authentication import JWTAuthentication
from meetings.selectors import meeting_get
from mina.api import error_body
from mina.errors import Forbidden, MinaError, NotAuthenticated, NotFound

from . import links
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


def _listener(request: HttpRequest, recording_id: int) -> Any:
    """Who asks: the signed link's user, the Bearer token's, or the session's (None: nobody)."""
    if links.PARAMETER in request.GET:
        user_id = links.audio_link_user_id(request.GET[links.PARAMETER], recording_id=recording_id)
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise Forbidden("This audio link is not valid.", code="link_not_valid")
        return user
    try:
        found = JWTAuthentication().authenticate(request)  # type: ignore[arg-type]
    except exceptions.AuthenticationFailed as exc:
        code = exc.get_codes()
        raise NotAuthenticated(str(exc.detail), code=code if isinstance(code, str) else None) from None
    if found is not None:
        return found[0]
    return request.user if request.user.is_authenticated else None


def recording_audio(request: HttpRequest, recording_id: int) -> HttpResponse | StreamingHttpResponse:
    """The audio of a recording: inline for a player, `?download=1` to save it."""
    try:
        user = _listener(request, recording_id)
    except MinaError as exc:  # an app's credentials: answered as the API answers
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status)
    if user is None:
        return redirect_to_login(request.get_full_path())
    recording = Recording.objects.filter(pk=recording_id).only("meeting_id", "file", "original_name").first()
    if recording is None or not recording.file:
        raise Http404("Recording not found.")
    try:
        meeting, _ = meeting_get(user=user, meeting_id=recording.meeting_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    file, size = _open(recording)
    download = request.GET.get("download") == "1"
    if download:
        audit.record("recording_downloaded", actor=user, workspace=meeting.workspace, target=recording)
    name = str(recording.file.name)
    filename = f"{meeting.title[:60]}-{recording.pk}{os.path.splitext(name)[1]}".replace("/", "-")
    disposition = content_disposition_header(download, filename)
    return _stream(file, size, name=name, range_header=request.headers.get("Range", ""), disposition=disposition)


def _stream(
    file: IO[bytes], size: int, *, name: str, range_header: str, disposition: str | None
) -> HttpResponse | StreamingHttpResponse:
    """The file, or the one byte range asked for (206), or 416 for a range past its end."""
    content_type = mimetypes.guess_type(name)[0] or ""
    if not content_type.startswith(("audio/", "video/")):  # a file stored under another name is never a page
        content_type = "application/octet-stream"
    try:
        part = requested_range(range_header, size)
    except Unsatisfiable:
        file.close()
        return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = part or (0, size - 1)
    file.seek(start)
    headers = {
        "Content-Length": str(end - start + 1),
        "Accept-Ranges": "bytes",
        "Content-Disposition": str(disposition),
        "Cache-Control": "private, no-store",
    }
    if part:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingHttpResponse(_read(file, end - start + 1), status=206 if part else 200,
                                 content_type=content_type, headers=headers)
