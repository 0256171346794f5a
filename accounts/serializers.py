from rest_framework import serializers

from .models import User
from .services import MAIL_SETTINGS


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "name", *MAIL_SETTINGS]
        read_only_fields = ["id", "email", "name"]
        extra_kwargs = {"time_zone": {"help_text": "An IANA time zone name, e.g. Europe/Paris; digests follow it."}}


class UserBriefSerializer(serializers.ModelSerializer):
    """How other people appear: id and the name to show."""

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class CalendarSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="Subscribe to it in a calendar app; keep it private.")
