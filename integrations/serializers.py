from __future__ import annotations

from rest_framework import serializers

from .models import Delivery, Endpoint, Event


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "workspace",
            "url",
            "events",
            "format",
            "secret",
            "is_active",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
        ]
        read_only_fields = fields


class EndpointInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https:// address that receives the events.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), min_length=1)
    format = serializers.ChoiceField(choices=Endpoint.Format.choices, default=Endpoint.Format.JSON)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event",
            "status",
            "attempts",
            "response_code",
            "duration_ms",
            "error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields
