"""Recordings are served only through here, after an access check."""

from __future__ import annotations

import mimetypes
import os

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from accounts import audit
from meetings.selectors import meeting_get
from mina.errors import NotFound

from .models import Recording


@login_required
def recording_audio(request: HttpRequest, recording_id: int) -> FileResponse:
    """The audio of a recording: inline for the page's player, `?download=1` to save it."""
    recording = Recording.objects.filter(pk=recording_id).only("meeting_id", "file", "original_name").first()
    if recording is None or not recording.file:
        raise Http404("Recording not found.")
    try:
        meeting, _ = meeting_get(user=request.user, meeting_id=recording.meeting_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    download = request.GET.get("download") == "1"
    name = str(recording.file.name)
    extension = os.path.splitext(name)[1]
    filename = f"{meeting.title[:60]}-{recording.pk}{extension}".replace("/", "-")
    if download:
        audit.record("recording_downloaded", actor=request.user, workspace=meeting.workspace, target=recording)
    content_type = mimetypes.guess_type(name)[0] or ""
    if not content_type.startswith(("audio/", "video/")):  # a file stored under another name is never a page
        content_type = "application/octet-stream"
    response = FileResponse(
        recording.file.open("rb"), as_attachment=download, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
