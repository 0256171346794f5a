"""The Ask API's input and output."""

from __future__ import annotations

from rest_framework import serializers

from core.rest import id_field


class AskInSerializer(serializers.Serializer):
    # Emptiness, length and plain text are checked by selectors.question_clean, which the
    # page shares; DRF itself refuses NUL characters.
    question = serializers.CharField(allow_blank=True, trim_whitespace=False)
    workspace = id_field(required=False)
    meeting = id_field(required=False)
    speaker = serializers.CharField(required=False, allow_blank=True, max_length=150)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class PassageOutSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="passage.meeting_id")
    meeting_title = serializers.CharField(source="passage.meeting.title")
    meeting_date = serializers.SerializerMethodField()
    segment = serializers.IntegerField(source="passage.segment_id")
    speaker = serializers.CharField()
    start_ms = serializers.IntegerField(source="passage.start_ms")
    text = serializers.CharField(source="passage.line")
    marked = serializers.CharField(help_text="The line as HTML, escaped, the question's words in <mark>.")
    before = serializers.CharField(source="passage.before")
    after = serializers.CharField(source="passage.after")
    url = serializers.CharField(help_text="The meeting page, playing from this moment.")
    score = serializers.FloatField()

    def get_meeting_date(self, hit: object) -> str:
        meeting = hit.passage.meeting  # type: ignore[attr-defined]
        return (meeting.started_at or meeting.created_at).isoformat()


class TaskOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    assignee = serializers.SerializerMethodField()
    due_date = serializers.DateField()

    def get_assignee(self, task: object) -> str:
        assignee = task.assignee  # type: ignore[attr-defined]
        return assignee.name if assignee else task.owner_name  # type: ignore[attr-defined]


class MeetingAnswerOutSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="meeting.id")
    title = serializers.CharField(source="meeting.title")
    passages = PassageOutSerializer(source="hits", many=True)
    decisions = serializers.ListField(child=serializers.CharField())
    tasks = TaskOutSerializer(many=True)


class CitationOutSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="The number in the text: passage n of `passages`.")
    meeting = serializers.IntegerField(source="hit.passage.meeting_id")
    segment = serializers.IntegerField(source="hit.passage.segment_id")
    url = serializers.CharField(source="hit.url", help_text="The meeting page, playing from this moment.")


class WrittenOutSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="Plain text; [n] cites passage n.")
    html = serializers.CharField(help_text="The text as HTML, escaped, each [n] a link that plays passage n.")
    known = serializers.BooleanField(help_text="False: the passages do not answer the question.")
    citations = CitationOutSerializer(many=True)


class AnswerOutSerializer(serializers.Serializer):
    question = serializers.CharField()
    written = WrittenOutSerializer(
        allow_null=True, help_text="A written answer citing the passages; null offline (no chat model configured)."
    )
    indexed = serializers.BooleanField(help_text="False: nothing in these workspaces is indexed yet.")
    message = serializers.CharField()
    passages = PassageOutSerializer(source="hits", many=True)
    meetings = MeetingAnswerOutSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # `partial` is also Serializer's own attribute: declared here so it does not shadow it.
        fields = super().get_fields()
        fields["partial"] = serializers.BooleanField(help_text="True: meetings are still being indexed.")
        return fields
