"""Meetings, participants, summaries, tasks and downloads (/api/v1/meetings/, /api/v1/tasks/)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid, NotFound
from core.rest import Page, validated
from workspaces.models import Role
from workspaces.selectors import membership_get

from . import followup, services
from .models import Decision, Meeting, Participant, Task
from .selectors import (
    meeting_get,
    participant_get,
    participant_list,
    summary_get,
    task_get,
    task_list,
    workspace_ids_of,
)
from .serializers import (
    CarryOverSerializer,
    DecisionFilterSerializer,
    DecisionSerializer,
    DoneProposalInSerializer,
    DoneProposalSerializer,
    MeetingSerializer,
    MeetingUpdateInSerializer,
    ParticipantRenameInSerializer,
    ParticipantSerializer,
    SummarySerializer,
    TaskCreateInSerializer,
    TaskFilterSerializer,
    TaskSerializer,
    TaskUpdateInSerializer,
)

# --- Meetings -------------------------------------------------------------------------


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
        meeting = services.meeting_update(meeting=meeting, membership=membership, **data)
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


class ParticipantSuggestionApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, meeting_id: int, participant_id: int) -> Response:
        """Turn down the name suggested for a speaker (to accept it, PATCH the participant)."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        participant = participant_get(meeting=meeting, participant_id=participant_id)
        services.participant_suggestion_dismiss(participant=participant, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


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


# --- Follow-through ---------------------------------------------------------------------


class CarryOverApi(APIView):
    @extend_schema(responses=CarryOverSerializer)
    def get(self, request: Request, meeting_id: int) -> Response:
        """What the meeting opens with when it is one of a series: the earlier meetings'
        open tasks (each with this meeting's proposal to close it, if any) and decisions."""
        meeting, _ = meeting_get(user=request.user, meeting_id=meeting_id)
        carried = followup.carry_over(meeting=meeting)
        if carried is None:
            return Response({"series": None, "previous": None, "tasks": [], "decisions": []})
        proposals = {task.id: proposal for task, proposal in carried["tasks"] if proposal}
        data = {
            "series": carried["series"],
            "previous": carried["previous"].id if carried["previous"] else None,
            "tasks": [task for task, _ in carried["tasks"]],
            "decisions": carried["decisions"],
        }
        return Response(CarryOverSerializer(data, context={"proposals": proposals}).data)


class DoneProposalApi(APIView):
    @extend_schema(request=DoneProposalInSerializer, responses=DoneProposalSerializer)
    def post(self, request: Request, meeting_id: int, proposal_id: int) -> Response:
        """Confirm (`done: true` closes the task) or turn down a proposal to close a task."""
        meeting, membership = meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
        proposal = followup.done_proposal_get(meeting=meeting, proposal_id=proposal_id, membership=membership)
        data = validated(DoneProposalInSerializer, request.data)
        proposal = followup.done_proposal_decide(proposal=proposal, membership=membership, done=data["done"])
        return Response(DoneProposalSerializer(proposal).data)


class DecisionsApi(generics.ListAPIView):
    """The decisions log of my workspaces, newest first: filter by workspace, series, words."""

    serializer_class = DecisionSerializer
    pagination_class = Page

    @extend_schema(parameters=[DecisionFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Decision]:
        filters = validated(DecisionFilterSerializer, self.request.query_params)
        workspace_ids = workspace_ids_of(self.request.user)
        if filters.get("workspace") is not None:
            workspace_ids = [filters["workspace"]] if filters["workspace"] in workspace_ids else []
        return followup.decision_list(
            workspace_ids=workspace_ids, search=filters.get("search") or "", series_id=filters.get("series")
        )
