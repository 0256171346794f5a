"""Ask Mina for mobile clients: POST /api/v1/ask/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest import validated

from . import selectors
from .serializers import AnswerOutSerializer, AskInSerializer


class AskApi(APIView):
    error_statuses = (404,)  # a workspace or meeting that is not yours

    @extend_schema(request=AskInSerializer, responses=AnswerOutSerializer)
    def post(self, request: Request) -> Response:
        """A question about what was said in the meetings of your workspaces (or one
        workspace, meeting, speaker or date range): the best passages, and grouped by
        meeting with its matching decisions and tasks."""
        data = validated(AskInSerializer, request.data)
        answer = selectors.ask(
            user=request.user,
            question=data["question"],
            limit=data["limit"],
            workspace_id=data.get("workspace"),
            meeting_id=data.get("meeting"),
            speaker=data.get("speaker", ""),
            since=data.get("since"),
            until=data.get("until"),
        )
        return Response(AnswerOutSerializer(answer).data)
