"""Meetings, participants, summaries, tasks and downloads (/api/v1/meetings/, /api/v1/tasks/)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit
from mina.errors import Invalid, NotFound
from mina.rest import Page, validated
from workspaces.models import Role
from workspaces.selectors import membership_get

from . import exports, services
from .models import Meeting, Participant, Task
from .selectors import (
    meeting_get,
    meeting_list,
    meeting_task_list,
    participant_get,
    participant_list,
    summary_get,
    task_get,
    task_list,
)
from .serializers import (
    MeetingCreateInSerializer,
    MeetingFilterSerializer,
    MeetingSerializer,
    MeetingUpdateInSerializer,
    ParticipantRenameInSerializer,
    ParticipantSerializer,
    QueuedSerializer,
    SummarySerializer,
    TaskCreateInSerializer,
    TaskFilterSerializer,
    TaskSerializer,
    TaskUpdateInSerializer,
)
from .summaries import transcript_segments

# --- Meetings -------------------------------------------------------------------------

_ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
}


class MeetingCursor(CursorPagination):
    """Newest first by default; `next`/`previous` links carry an opaque cursor."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = _ORDERINGS["-created_at"]

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return _ORDERINGS[getattr(view, "meeting_ordering", "-created_at")]

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError:  # a cursor from another ordering, or a forged one
            raise exceptions.NotFound(self.invalid_cursor_message) from None


class MeetingsApi(generics.ListAPIView):
    """Meetings in my workspaces; POST creates one (member and up)."""

    serializer_class = MeetingSerializer
    pagination_class = MeetingCursor
    error_statuses = (400, 404)

    @extend_schema(parameters=[MeetingFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Meeting]:
        filters = dict(validated(MeetingFilterSerializer, self.request.query_params))
        self.meeting_ordering = filters.pop("ordering")
        return meeting_list(user=self.request.user, **filters)

    @extend_schema(request=MeetingCreateInSerializer, responses={201: MeetingSerializer})
    def post(self, request: Request) -> Response:
        data = validated(MeetingCreateInSerializer, request.data)
        membership = membership_get(user=request.user, workspace_id=data["workspace"], min_role=Role.MEMBER)
        meeting = services.meeting_create(membership=membership, title=data["title"], language=data["language"])
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)



class MeetingApi(APIView):
    @extend_schema(responses=MeetingSerializer)
    def get(self, request: Request, meeting_id: int) -> Response:
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(request=MeetingUpdateInSerializer, responses=MeetingSerializer)
    def patch(self, request: Request, meeting_id: int) -> Response:
        """Rename (the organizer, or an admin and up)."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        data = validated(MeetingUpdateInSerializer, request.data)
        meeting = services.meeting_update(meeting=meeting, membership=membership, title=data["title"])
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, meeting_id: int) -> Response:
        """Delete with its transcript and recordings (the organizer, or an admin and up)."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        services.meeting_delete(meeting=meeting, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeetingEndApi(APIView):
    @extend_schema(request=None, responses=MeetingSerializer)
    def post(self, request: Request, meeting_id: int) -> Response:
        """End a live meeting: it goes `processing` for the careful pass and the summary."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        meeting = services.meeting_end(meeting=meeting, membership=membership)
        return Response(MeetingSerializer(meeting).data)


# --- Participants and summaries -------------------------------------------------------


class ParticipantsApi(generics.ListAPIView):
    """The meeting's speakers."""

    serializer_class = ParticipantSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Participant]:
        meeting, _ = meeting_get(user=self.request.user, meeting_id=self.kwargs["meeting_id"])
        return participant_list(meeting=meeting)


class ParticipantApi(APIView):
    @extend_schema(request=ParticipantRenameInSerializer, responses=ParticipantSerializer)
    def patch(self, request: Request, meeting_id: int, participant_id: int) -> Response:
        """Rename a speaker label (member and up)."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        participant = participant_get(meeting=meeting, participant_id=participant_id)
        data = validated(ParticipantRenameInSerializer, request.data)
        participant = services.participant_rename(participant=participant, membership=membership, **data)
        return Response(ParticipantSerializer(participant).data)


def _summary_or_404(meeting: Meeting) -> Any:
    summary = summary_get(meeting=meeting)
    if summary is None:
        raise NotFound("This meeting has no summary yet.")
    return summary


class SummaryApi(APIView):
    @extend_schema(responses=SummarySerializer)
    def get(self, request: Request, meeting_id: int) -> Response:
        """The summary; 404 until one has been written."""
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        return Response(SummarySerializer(_summary_or_404(meeting)).data)


class ResummarizeApi(APIView):
    @extend_schema(request=None, responses={202: QueuedSerializer})
    def post(self, request: Request, meeting_id: int) -> Response:
        """Write the summary again (after corrections); tasks edited by people stay."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        services.meeting_resummarize(meeting=meeting, membership=membership)
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)


# --- Tasks ----------------------------------------------------------------------------


class TasksApi(generics.ListAPIView):
    """Tasks in my workspaces, filtered; POST creates one (member and up)."""

    serializer_class = TaskSerializer
    pagination_class = Page
    error_statuses = {"GET": (400,), "POST": (404,)}

    @extend_schema(parameters=[TaskFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Task]:
        filters = dict(validated(TaskFilterSerializer, self.request.query_params))
        assignee = filters.pop("assignee", None)
        if assignee is not None:
            filters["assignee_id"] = self.request.user.pk if assignee == "me" else assignee
        return task_list(user=self.request.user, **filters)

    @extend_schema(request=TaskCreateInSerializer, responses={201: TaskSerializer})
    def post(self, request: Request) -> Response:
        data = dict(validated(TaskCreateInSerializer, request.data))
        meeting, workspace_id = None, data.pop("workspace", None)
        if data.get("meeting") is not None:
            meeting, membership = meeting_get(user=request.user, meeting_id=data["meeting"], min_role=Role.MEMBER)
            if workspace_id is not None and workspace_id != meeting.workspace_id:
                raise Invalid("That meeting is not in this workspace.", fields={"meeting": ["Not found."]})
        else:
            membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.MEMBER)
        data["meeting"] = meeting
        task = services.task_create(membership=membership, **data)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)


class TaskApi(APIView):
    @extend_schema(responses=TaskSerializer)
    def get(self, request: Request, task_id: int) -> Response:
        task, _ = task_get(user=request.user, task_id=task_id)
        return Response(TaskSerializer(task).data)

    @extend_schema(request=TaskUpdateInSerializer, responses=TaskSerializer)
    def patch(self, request: Request, task_id: int) -> Response:
        """Change a task (its assignee or creator, the meeting's organizer, or an admin and up)."""
        task, membership = task_get(user=request.user, task_id=task_id)
        data = validated(TaskUpdateInSerializer, request.data)
        task = services.task_update(task=task, membership=membership, **data)
        return Response(TaskSerializer(task).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, task_id: int) -> Response:
        task, membership = task_get(user=request.user, task_id=task_id)
        services.task_delete(task=task, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Downloads ------------------------------------------------------------------------


def _download(body: str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


class _ExportApi(APIView):
    content_type = "text/plain"
    suffix = "txt"
    export = "transcript.txt"  # what the audit log calls it

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    def render(self, meeting: Meeting) -> str:
        raise NotImplementedError

    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        body = self.render(meeting)
        audit.record("export", actor=request.user, workspace=meeting.workspace, target=meeting, export=self.export)
        return _download(body, self.content_type, exports.filename(meeting, self.suffix))


def _export_schema(content_type: str, what: str) -> Any:
    return extend_schema(
        responses={(200, content_type): OpenApiResponse(OpenApiTypes.STR, description=what)}
    )


class TranscriptTxtApi(_ExportApi):
    @_export_schema("text/plain", "The transcript as plain text, one line per segment.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)

    def render(self, meeting: Meeting) -> str:
        return exports.transcript_txt(transcript_segments(meeting))


class TranscriptSrtApi(_ExportApi):
    content_type, suffix, export = "application/x-subrip", "srt", "transcript.srt"

    @_export_schema("application/x-subrip", "The transcript as SubRip subtitles.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)

    def render(self, meeting: Meeting) -> str:
        return exports.transcript_srt(transcript_segments(meeting))


class TranscriptVttApi(_ExportApi):
    content_type, suffix, export = "text/vtt", "vtt", "transcript.vtt"

    @_export_schema("text/vtt", "The transcript as WebVTT captions with speakers.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)

    def render(self, meeting: Meeting) -> str:
        return exports.transcript_vtt(transcript_segments(meeting))


class SummaryMarkdownApi(_ExportApi):
    content_type, suffix, export = "text/markdown", "md", "summary.md"

    @_export_schema("text/markdown", "The summary, decisions and action items as Markdown.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)

    def render(self, meeting: Meeting) -> str:
        return exports.summary_markdown(meeting, _summary_or_404(meeting), meeting_task_list(meeting=meeting))
