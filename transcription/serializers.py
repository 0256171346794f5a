from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetings.serializers import ParticipantSerializer

from . import links
from .models import Recording, Segment


class WordSerializer(serializers.Serializer):
    start_ms = serializers.IntegerField(read_only=True)
    end_ms = serializers.IntegerField(read_only=True)
    word = serializers.CharField(read_only=True)
    p = serializers.FloatField(read_only=True, help_text="Probability.")


@extend_schema_field(WordSerializer(many=True))
class WordsField(serializers.ReadOnlyField):
    """The words as stored, already in WordSerializer's shape (services._words_json): a
    nested serializer per word cost more than all the rest of a segment page."""


class SegmentSerializer(serializers.ModelSerializer):
    speaker = serializers.CharField(source="participant.name", read_only=True, allow_null=True, default=None)
    words = WordsField()

    class Meta:
        model = Segment
        fields = [
            "id", "utterance_id", "participant", "speaker", "start_ms", "end_ms", "text", "words",
            "kind", "fallback", "edited",
        ]
        read_only_fields = fields


class SegmentFilterSerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, min_value=0, help_text="Only segments with a larger id (the last id you saw)."
    )
    kind = serializers.ChoiceField(
        choices=Segment.Kind.choices, required=False,
        help_text="Only the live finals, or only the careful pass's lines. Default: the transcript people read "
        "(per recording, the careful pass's lines as far as it has got, the live finals after).",
    )


class SegmentEditInSerializer(serializers.Serializer):
    required_on_patch = True

    text = serializers.CharField(max_length=10_000)


class CorrectionOfferSerializer(serializers.Serializer):
    wrong = serializers.CharField(read_only=True, help_text="The words the correction replaced.")
    right = serializers.CharField(read_only=True, help_text="What they were corrected to.")
    in_glossary = serializers.BooleanField(
        read_only=True, help_text="False: offer to add `right` (POST /workspaces/{id}/glossary/)."
    )
    elsewhere = serializers.IntegerField(
        read_only=True, help_text="Other lines with `wrong`: offer to fix them (POST …/transcript/replace/)."
    )


class SegmentEditedSerializer(SegmentSerializer):
    offers = CorrectionOfferSerializer(many=True, read_only=True, help_text="What the correction teaches.")

    class Meta(SegmentSerializer.Meta):
        fields = [*SegmentSerializer.Meta.fields, "offers"]
        read_only_fields = fields


class ReplaceInSerializer(serializers.Serializer):
    wrong = serializers.CharField(max_length=100, help_text="Words to replace, as whole words in any case.")
    right = serializers.CharField(max_length=100)


class ReplacedSerializer(serializers.Serializer):
    replaced = serializers.IntegerField(read_only=True, help_text="How many lines changed.")


class AudioLinkSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="GET it with no header (a player); it answers byte ranges.")
    expires_at = serializers.DateTimeField(read_only=True, help_text="Ask for the recording again for a new link.")


class RecordingSerializer(serializers.ModelSerializer):
    audio = serializers.SerializerMethodField(
        help_text="A signed link to the audio for this user, or null while there is no file yet (a live stream)."
    )

    class Meta:
        model = Recording
        fields = [
            "id", "meeting", "source", "status", "progress", "duration_ms", "original_name", "error",
            "created_at", "updated_at", "audio",
        ]
        read_only_fields = fields

    @extend_schema_field(AudioLinkSerializer(allow_null=True))
    def get_audio(self, recording: Recording) -> dict[str, Any] | None:
        request = self.context["request"]
        if not recording.file:
            return None
        path, expires_at = links.audio_link(recording_id=recording.pk, user_id=request.user.pk)
        return AudioLinkSerializer({"url": request.build_absolute_uri(path), "expires_at": expires_at}).data


class UploadInSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="WAV, MP3, M4A, OGG, WebM or FLAC.")
    speakers = serializers.IntegerField(
        required=False, min_value=1, max_value=20,
        help_text="How many people speak, when you know; else Mina counts the voices.",
    )


class TalkTimeSerializer(serializers.Serializer):
    participant = ParticipantSerializer(read_only=True)
    talk_ms = serializers.IntegerField(read_only=True)
    share = serializers.FloatField(read_only=True, help_text="Of all the talk in the transcript, 0-1.")
