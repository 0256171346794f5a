"""Pages of what was said: the meetings list (searching titles and transcripts), the
meeting room, corrections, uploads and downloads; and the recordings, served only
through here after an access check.

Who asks for a recording: the page's session, an app's Bearer token (as the API), or the
signed link in the recording's `audio.url` (links.py) for a player that cannot send a
header. Either way the user's access to the meeting is checked on every request.
Recordings are streamed in chunks from an async iterator: Django's ASGI handler reads a
synchronous file response whole into memory before sending it (a recording can be
hundreds of MB). A single `Range: bytes=` request is answered 206 with that part, so
the player seeks without downloading what comes before.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import AsyncIterator
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event
from rest_framework import exceptions

from accounts import audit
from accounts.authentication import JWTAuthentication
from core.api import error_body
from core.errors import Forbidden, Invalid, MinaError, NotAuthenticated, NotFound
from core.pages import is_partial, page, push_clean_url, render
from meetings import followup
from meetings import selectors as meeting_selectors
from meetings.forms import MeetingFilterForm, MeetingForm
from meetings.models import Meeting, Task
from workspaces.models import Membership, Role
from workspaces.navigation import remember_workspace
from workspaces.selectors import member_list, membership_get
from workspaces.services import glossary_add

from . import exports, links, selectors, services
from .models import Recording, Segment

_FINISHED = (Meeting.Status.READY, Meeting.Status.FAILED)
MEETINGS_PER_PAGE = 20


@page
def meeting_list(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = membership_get(user=request.user, workspace_id=workspace_id)
    remember_workspace(request, workspace_id)
    filters = MeetingFilterForm(request.GET)
    meetings = selectors.meeting_search(user=request.user, workspace_id=workspace_id, **filters.filters())
    context = {
        "section": "meetings",
        "workspace": membership.workspace,
        "filters": filters,
        "page_obj": Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page")),
        "can_create": membership.has_role(Role.MEMBER),
        "form": MeetingForm(),
    }
    if is_partial(request):
        return push_clean_url(request, render(request, "meetings/partials/meeting_results.html", context))
    return render(request, "meetings/list.html", context)



@page
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    remember_workspace(request, meeting.workspace_id)
    return render(request, "meetings/detail.html", _meeting_context(request, meeting, membership))


@page
@require_GET
def meeting_panels(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The parts of the meeting room that change once a meeting is processed, for the
    room to swap in (static/js/room.js): transcript, summary, tasks, participants."""
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    return render(request, "meetings/partials/room_panels.html", _meeting_context(request, meeting, membership))


def _meeting_context(request: HttpRequest, meeting: Meeting, membership: Membership) -> dict[str, Any]:
    tasks = meeting_selectors.meeting_task_list(meeting=meeting)
    rows = [meeting_selectors.task_row(task, membership) for task in tasks]
    can_edit = meeting_selectors.can_edit_meeting(meeting, membership)
    is_member = membership.has_role(Role.MEMBER)
    segments = list(selectors.segment_list(meeting=meeting))
    recordings = selectors.playable_recording_list(meeting=meeting)
    return {
        "section": "meetings",
        "workspace": meeting.workspace,
        "meeting": meeting,
        "me": membership,
        "speakers": selectors.talk_time(meeting=meeting),
        "segments": segments,
        "transcript_kind": "refined" if any(s.kind == Segment.Kind.REFINED for s in segments) else "final",
        "recordings": recordings,
        "playable": {r.id for r in recordings},
        "summary": meeting_selectors.summary_get(meeting=meeting),
        "task_rows": rows,
        "carry_over": followup.carry_over(meeting=meeting),
        "can_follow_up": is_member,
        # For a task's assignee and for naming a speaker.
        "members": list(member_list(workspace=meeting.workspace)) if is_member else [],
        "statuses": Task.Status.choices,
        "can_end": can_edit and meeting.is_liveable,
        "can_record": is_member and meeting.is_liveable,
        "can_upload": is_member,
        "can_correct": is_member,
        "can_resummarize": is_member and bool(segments) and meeting.status in _FINISHED,
        "max_upload_mb": settings.MINA_MAX_UPLOAD_MB,
        # Live updates travel over WebSockets, which only the ASGI server (Daphne) speaks.
        "live_updates": isinstance(request, ASGIRequest),
    }



def _back_to(meeting: Meeting, anchor: str = "") -> HttpResponse:
    return redirect(reverse("meetings:detail", args=[meeting.id]) + (f"#{anchor}" if anchor else ""))


def _segment_context(meeting: Meeting, segment: Segment, membership: Membership) -> dict[str, Any]:
    playable = {r.id for r in selectors.playable_recording_list(meeting=meeting)}
    return {"meeting": meeting, "s": segment, "can_correct": membership.has_role(Role.MEMBER), "playable": playable}


@page
@require_http_methods(["GET", "POST"])
def segment_detail(request: HttpRequest, meeting_id: int, segment_id: int) -> HttpResponse:
    """One line of the transcript (GET), or its text corrected (POST `text`, member and up)."""
    min_role = Role.MEMBER if request.method == "POST" else Role.VIEWER
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=min_role)
    segment = selectors.segment_get(meeting=meeting, segment_id=segment_id)
    context: dict[str, Any] = {}
    if request.method == "POST":
        before = segment.text
        segment = services.segment_edit(segment=segment, membership=membership, text=request.POST.get("text", ""))
        if not is_partial(request):
            messages.success(request, "Correction saved.")
            return _back_to(meeting, f"segment-{segment.id}")
        context["offers"] = selectors.correction_offers(segment=segment, before=before)
    context |= _segment_context(meeting, segment, membership)
    return render(request, "meetings/partials/segment.html", context)


@page
@require_POST
def meeting_glossary_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """One click under a corrected line: the word it was corrected to, into the glossary."""
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    term = glossary_add(membership=membership, term=request.POST.get("term", ""))
    note = f"“{term.term}” is in the glossary: Mina expects it from the next meeting on."
    return _offer_done(request, meeting, note)


@page
@require_POST
def meeting_replace(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """One click under a corrected line: the same words fixed in the meeting's other lines."""
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    wrong, right = request.POST.get("wrong", ""), request.POST.get("right", "")
    changed = services.transcript_replace(meeting=meeting, membership=membership, wrong=wrong, right=right)
    return _offer_done(request, meeting, f"“{wrong}” is now “{right}” in {changed} more line{pluralize(changed)}.")


def _offer_done(request: HttpRequest, meeting: Meeting, note: str) -> HttpResponse:
    if is_partial(request):  # in place of the offer's button
        return render(request, "meetings/partials/offer_done.html", {"note": note})
    messages.success(request, note)
    return _back_to(meeting)


@page
@require_GET
def segment_edit_form(request: HttpRequest, meeting_id: int, segment_id: int) -> HttpResponse:
    """The form that corrects one line, in place of the line."""
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    segment = selectors.segment_get(meeting=meeting, segment_id=segment_id)
    return render(request, "meetings/partials/segment_form.html", _segment_context(meeting, segment, membership))



@page
@require_POST
def meeting_resummarize(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    services.meeting_resummarize(meeting=meeting, membership=membership)
    note = "Mina is writing the summary again from the corrected transcript. It updates here in a moment."
    if not is_partial(request):
        messages.success(request, note)
        return _back_to(meeting, "summary-panel")
    response = render(request, "meetings/partials/notice.html", {"note": note}, status=202)
    return trigger_client_event(response, "mina:refresh", {})


@page
@require_POST
def recording_upload(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A recording uploaded to a meeting (multipart field `file`); it is transcribed next."""
    meeting, membership = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    services.upload_admit(user=request.user, content_length=request.META.get("CONTENT_LENGTH"))
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid("Choose an audio file to upload.", fields={"file": ["This field is required."]})
    recording = services.upload_create(meeting=meeting, membership=membership, upload=upload)
    note = f"Uploaded “{recording.original_name}”. Mina is transcribing it; the transcript appears here when done."
    if not is_partial(request):
        messages.success(request, note)
        return _back_to(meeting)
    return render(request, "meetings/partials/notice.html", {"note": note}, status=201)


@page
@require_GET
def meeting_export(request: HttpRequest, meeting_id: int, name: str) -> HttpResponse:
    """Downloads: the transcript as TXT, SRT or WebVTT; the summary and tasks as Markdown."""
    meeting, _ = meeting_selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    return exports.download(meeting=meeting, name=name, actor=request.user)


# --- Recordings ---------------------------------------------------------------------

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
        meeting, _ = meeting_selectors.meeting_get(user=user, meeting_id=recording.meeting_id)
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
