from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from accounts.models import User
from accounts.serializers import UserBriefSerializer
from core.rest import ID_MAX, id_field, language_field

from .models import Decision, DoneProposal, Meeting, Participant, Series, Summary, Task

MEETING_ORDERINGS = ["-created_at", "created_at", "title", "-title"]


class SeriesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Series
        fields = ["id", "name"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    organizer = UserBriefSerializer(read_only=True, allow_null=True)
    series = SeriesSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Meeting
        fields = [
            "id", "workspace", "title", "organizer", "status", "language", "detected_language", "series", "error",
            "started_at", "ended_at", "created_at",
        ]
        read_only_fields = fields


class MeetingFilterSerializer(serializers.Serializer):
    workspace = id_field(required=False, source="workspace_id", help_text="Only this workspace.")
    status = serializers.ChoiceField(choices=Meeting.Status.choices, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="Created at or after (ISO 8601).")
    created_before = serializers.DateTimeField(required=False, help_text="Created before (ISO 8601).")
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words in the title or the transcript."
    )
    ordering = serializers.ChoiceField(choices=MEETING_ORDERINGS, required=False, default="-created_at")


class MeetingCreateInSerializer(serializers.Serializer):
    workspace = id_field()
    title = serializers.CharField(max_length=200)
    language = language_field(
        required=False,
        help_text="Spoken language: a Whisper code (ISO 639-1) or \"auto\" to detect it; default the workspace's.",
    )
    series = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text="The recurring meeting it is one of, by name (made on first use), e.g. \"Weekly stand-up\".",
    )


class MeetingUpdateInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    series = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text="The recurring meeting it is one of, by name (made on first use); empty takes it out.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"title": ["Give a title or a series."]})
        return attrs


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user by id; the service checks that the user is a member of the workspace.

    An id no user has comes back as an unsaved stand-in that the service refuses exactly
    as it refuses a user of another workspace: the answer never tells which ids exist.
    """

    default_error_messages = {"incorrect_type": "A user id is expected."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=User.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> User:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < pk <= ID_MAX:
            return User(pk=0)
        return User.objects.filter(pk=pk).first() or User(pk=pk)


class ParticipantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Participant
        fields = ["id", "name", "user", "suggested_name", "suggestion_reason"]
        read_only_fields = fields
        extra_kwargs = {
            "suggested_name": {"help_text": "A name the conversation suggests (\"This is Priya\"), to confirm."},
        }


class ParticipantRenameInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, help_text="A guest's name (or a member's).")
    user = MemberField(required=False, help_text="The workspace member who is this speaker.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("name") and not attrs.get("user"):
            raise serializers.ValidationError({"name": ["Give a name or a member."]})
        return attrs


class SummarySerializer(serializers.ModelSerializer):
    key_points = serializers.ListField(child=serializers.CharField(), read_only=True)
    decisions = serializers.ListField(child=serializers.CharField(), read_only=True)
    questions = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Open questions: asked and left unanswered."
    )

    class Meta:
        model = Summary
        fields = [
            "meeting", "overview", "key_points", "decisions", "questions", "engine", "model", "created_at", "updated_at"
        ]
        read_only_fields = fields


class QueuedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["queued"], read_only=True)


class TaskSerializer(serializers.ModelSerializer):
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    assignee_name = serializers.SerializerMethodField(help_text="The assignee's name, else the name heard.")

    class Meta:
        model = Task
        fields = [
            "id", "workspace", "meeting", "title", "assignee", "owner_name", "assignee_name", "due_date",
            "status", "review", "confidence", "source_segment", "created_by", "edited", "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, task: Task) -> str:
        return task.assignee.name if task.assignee else task.owner_name


class TaskCreateInSerializer(serializers.Serializer):
    workspace = id_field(required=False, help_text="Required unless `meeting` is given.")
    meeting = id_field(required=False, allow_null=True)
    title = serializers.CharField(max_length=300)
    assignee = MemberField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("meeting") is None and attrs.get("workspace") is None:
            raise serializers.ValidationError({"workspace": ["Give a workspace or a meeting."]})
        return attrs


class TaskUpdateInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    assignee = MemberField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    review = serializers.ChoiceField(
        choices=Task.Review.choices, required=False,
        help_text="Accept (`accepted`) or dismiss (`dismissed`) a suggested task.",
    )


class TaskFilterSerializer(serializers.Serializer):
    workspace = id_field(required=False, source="workspace_id")
    meeting = id_field(required=False, source="meeting_id")
    assignee = serializers.CharField(required=False, max_length=20, help_text="`me` or a user id.")
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    review = serializers.ChoiceField(
        choices=Task.Review.choices, required=False,
        help_text="Only suggestions, accepted or dismissed tasks; without it, all but the dismissed.",
    )
    due_before = serializers.DateField(required=False, help_text="Due strictly before this date.")

    def validate_assignee(self, value: str) -> str | int:
        if value == "me":
            return value
        if not re.fullmatch(r"[0-9]{1,18}", value):
            raise serializers.ValidationError("Use `me` or a user id.")
        return int(value)


class DecisionSerializer(serializers.ModelSerializer):
    meeting_title = serializers.CharField(source="meeting.title", read_only=True)

    class Meta:
        model = Decision
        fields = ["id", "workspace", "meeting", "meeting_title", "text", "decided_at", "source_segment"]
        read_only_fields = fields


class DecisionFilterSerializer(serializers.Serializer):
    workspace = id_field(required=False, help_text="Only this workspace.")
    series = id_field(required=False, help_text="Only meetings of this series.")
    search = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Words in the decision.")


class DoneProposalSerializer(serializers.ModelSerializer):
    class Meta:
        model = DoneProposal
        fields = ["id", "task", "meeting", "said", "source_segment", "state", "created_at"]
        read_only_fields = fields


class DoneProposalInSerializer(serializers.Serializer):
    done = serializers.BooleanField(help_text="true closes the task; false keeps it open.")


class CarriedTaskSerializer(TaskSerializer):
    done_proposal = serializers.SerializerMethodField(help_text="This meeting said it was done: confirm or not.")

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "done_proposal"]
        read_only_fields = fields

    def get_done_proposal(self, task: Task) -> dict[str, Any] | None:
        proposal = self.context["proposals"].get(task.id)
        return DoneProposalSerializer(proposal).data if proposal else None


class CarryOverSerializer(serializers.Serializer):
    series = SeriesSerializer(allow_null=True)
    previous = serializers.IntegerField(allow_null=True, help_text="The series' meeting before this one.")
    tasks = CarriedTaskSerializer(many=True, help_text="Earlier meetings' tasks still open.")
    decisions = DecisionSerializer(many=True, help_text="Earlier meetings' decisions, newest first.")
