"""What was said: segments and recordings of a meeting, the meetings list (searching
titles and transcripts), re-summarising and the downloads."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid
from core.rest import Page, validated
from meetings import services as meeting_services
from meetings.models import Meeting
from meetings.selectors import meeting_get
from meetings.serializers import (
    MeetingCreateInSerializer,
    MeetingFilterSerializer,
    MeetingSerializer,
    QueuedSerializer,
)
from workspaces.models import Role
from workspaces.selectors import membership_get

from . import exports, services
from .engines import speech_language_problem
from .models import Recording, Segment
from .selectors import (
    correction_offers,
    meeting_list,
    recording_get,
    recording_list,
    segment_get,
    segment_list,
    talk_time,
)
from .serializers import (
    RecordingSerializer,
    ReplacedSerializer,
    ReplaceInSerializer,
    SegmentEditedSerializer,
    SegmentEditInSerializer,
    SegmentFilterSerializer,
    SegmentSerializer,
    TalkTimeSerializer,
    UploadInSerializer,
)


class SegmentPage(LimitOffsetPagination):
    default_limit = 500
    max_limit = 2000


class SegmentsApi(generics.ListAPIView):
    """The transcript in time order; `after` (the last id seen) for what is new."""

    serializer_class = SegmentSerializer
    pagination_class = SegmentPage
    error_statuses = (400,)

    @extend_schema(parameters=[SegmentFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Segment]:
        meeting, _ = meeting_get(user=self.request.user, meeting_id=self.kwargs["meeting_id"])
        filters = validated(SegmentFilterSerializer, self.request.query_params)
        return segment_list(meeting=meeting, **filters)


class SegmentApi(APIView):
    @extend_schema(request=SegmentEditInSerializer, responses=SegmentEditedSerializer)
    def patch(self, request: Request, meeting_id: int, segment_id: int) -> Response:
        """Correct a segment's text (member and up); it is marked edited and survives re-runs.
        `offers`: the words it replaced, to add to the glossary or fix in the other lines."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        segment = segment_get(meeting=meeting, segment_id=segment_id)
        data = validated(SegmentEditInSerializer, request.data)
        before = segment.text
        segment = services.segment_edit(segment=segment, membership=membership, text=data["text"])
        segment.offers = correction_offers(segment=segment, before=before)  # type: ignore[attr-defined]
        return Response(SegmentEditedSerializer(segment).data)


class TranscriptReplaceApi(APIView):
    @extend_schema(request=ReplaceInSerializer, responses=ReplacedSerializer)
    def post(self, request: Request, meeting_id: int) -> Response:
        """The same misheard words fixed in every line of the meeting (member and up)."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        data = validated(ReplaceInSerializer, request.data)
        replaced = services.transcript_replace(meeting=meeting, membership=membership, **data)
        return Response({"replaced": replaced})


class RecordingsApi(generics.ListAPIView):
    """The meeting's recordings; POST uploads one (multipart field `file`, member and up)."""

    serializer_class = RecordingSerializer
    pagination_class = Page
    parser_classes = [MultiPartParser]
    error_statuses = {"POST": (413, 415)}

    def get_queryset(self) -> QuerySet[Recording]:
        meeting, _ = meeting_get(user=self.request.user, meeting_id=self.kwargs["meeting_id"])
        return recording_list(meeting=meeting)

    @extend_schema(request={"multipart/form-data": UploadInSerializer}, responses={201: RecordingSerializer})
    def post(self, request: Request, meeting_id: int) -> Response:
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        services.upload_admit(user=request.user, content_length=request.META.get("CONTENT_LENGTH"))
        data = validated(UploadInSerializer, request.data)
        recording = services.upload_create(
            meeting=meeting, membership=membership, upload=data["file"], expected_speakers=data.get("speakers")
        )
        return Response(RecordingSerializer(recording, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class RecordingApi(APIView):
    @extend_schema(responses=RecordingSerializer)
    def get(self, request: Request, meeting_id: int, recording_id: int) -> Response:
        """A recording's status and progress (percent of its audio transcribed)."""
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        recording = recording_get(meeting=meeting, recording_id=recording_id)
        return Response(RecordingSerializer(recording, context={"request": request}).data)


class TalkTimeApi(APIView):
    @extend_schema(responses=TalkTimeSerializer(many=True))
    def get(self, request: Request, meeting_id: int) -> Response:
        """Each speaker's talk time in the transcript: milliseconds and share of all."""
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        return Response(TalkTimeSerializer(talk_time(meeting=meeting), many=True).data)


# --- Meetings found by what was said ---------------------------------------------------

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
        language = data.get("language") or membership.workspace.language
        problem = speech_language_problem(language)
        if problem:
            raise Invalid(problem, fields={"language": [problem]})
        meeting = meeting_services.meeting_create(
            membership=membership, title=data["title"], language=language, series=data.get("series", "")
        )
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)


class ResummarizeApi(APIView):
    @extend_schema(request=None, responses={202: QueuedSerializer})
    def post(self, request: Request, meeting_id: int) -> Response:
        """Write the summary again (after corrections); tasks edited by people stay."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        services.meeting_resummarize(meeting=meeting, membership=membership)
        return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)


# --- Downloads ------------------------------------------------------------------------


class _ExportApi(APIView):
    export = "transcript.txt"  # which of exports.DOWNLOADS

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        return exports.download(meeting=meeting, name=self.export, actor=request.user)


def _export_schema(content_type: str, what: str) -> Any:
    return extend_schema(
        responses={(200, content_type): OpenApiResponse(OpenApiTypes.STR, description=what)}
    )


class TranscriptTxtApi(_ExportApi):
    @_export_schema("text/plain", "The transcript as plain text, one line per segment.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)


class TranscriptSrtApi(_ExportApi):
    export = "transcript.srt"

    @_export_schema("application/x-subrip", "The transcript as SubRip subtitles.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)


class TranscriptVttApi(_ExportApi):
    export = "transcript.vtt"

    @_export_schema("text/vtt", "The transcript as WebVTT captions with speakers.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)


class SummaryMarkdownApi(_ExportApi):
    export = "summary.md"

    @_export_schema("text/markdown", "The summary, decisions and action items as Markdown.")
    def get(self, request: Request, meeting_id: int) -> HttpResponse:
        return super().get(request, meeting_id)
