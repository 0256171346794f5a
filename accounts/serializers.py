from rest_framework import serializers

from .models import User


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "name"]
        read_only_fields = ["id", "email", "name"]


class UserBriefSerializer(serializers.ModelSerializer):
    """How other people appear: id and the name to show."""

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class CalendarSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="Subscribe to it in a calendar app; keep it private.")
