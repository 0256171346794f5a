"""Segments and recordings of a meeting (/api/v1/meetings/<id>/segments/, .../recordings/)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from meetings.selectors import meeting_get
from mina.errors import TooLarge
from mina.ratelimit import check, rate_for
from mina.rest import Page, validated
from workspaces.models import Role

from . import services
from .models import Recording, Segment
from .selectors import recording_get, recording_list, segment_get, segment_list
from .serializers import (
    RecordingSerializer,
    SegmentEditInSerializer,
    SegmentFilterSerializer,
    SegmentSerializer,
    UploadInSerializer,
)

# Room for the multipart boundary and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


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
    @extend_schema(request=SegmentEditInSerializer, responses=SegmentSerializer)
    def patch(self, request: Request, meeting_id: int, segment_id: int) -> Response:
        """Correct a segment's text (member and up); it is marked edited and survives re-runs."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        segment = segment_get(meeting=meeting, segment_id=segment_id)
        data = validated(SegmentEditInSerializer, request.data)
        segment = services.segment_edit(segment=segment, membership=membership, text=data["text"])
        return Response(SegmentSerializer(segment).data)


def _refuse_oversized(request: Request) -> None:
    """Say 413 from Content-Length, before the body is parsed."""
    limit = settings.MINA_MAX_UPLOAD_MB * 1024 * 1024
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + MULTIPART_OVERHEAD:
        raise TooLarge(f"The file is larger than {settings.MINA_MAX_UPLOAD_MB} MB.")


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
        check(f"upload:{request.user.pk}", rate_for("upload"))
        _refuse_oversized(request)
        data = validated(UploadInSerializer, request.data)
        recording = services.upload_create(meeting=meeting, membership=membership, upload=data["file"])
        return Response(RecordingSerializer(recording, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class RecordingApi(APIView):
    @extend_schema(responses=RecordingSerializer)
    def get(self, request: Request, meeting_id: int, recording_id: int) -> Response:
        """A recording's status and progress (percent of its audio transcribed)."""
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        recording = recording_get(meeting=meeting, recording_id=recording_id)
        return Response(RecordingSerializer(recording, context={"request": request}).data)
