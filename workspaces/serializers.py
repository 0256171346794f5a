from rest_framework import serializers

from core.rest import language_field

from .models import GlossaryTerm, Invitation, Membership, Role, Workspace


class WorkspaceSerializer(serializers.ModelSerializer):
    """A workspace as one member sees it (from the membership): with that member's role."""

    id = serializers.IntegerField(source="workspace.id", read_only=True)
    name = serializers.CharField(source="workspace.name", read_only=True)
    slug = serializers.CharField(source="workspace.slug", read_only=True)
    retention_days = serializers.IntegerField(source="workspace.retention_days", read_only=True, allow_null=True)
    language = serializers.CharField(source="workspace.language", read_only=True)
    accept_tasks = serializers.CharField(source="workspace.accept_tasks", read_only=True)
    created_at = serializers.DateTimeField(source="workspace.created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "slug", "retention_days", "language", "accept_tasks", "created_at", "role"]
        read_only_fields = fields


class WorkspaceInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    retention_days = serializers.IntegerField(
        min_value=1, max_value=36500, required=False, allow_null=True,
        help_text="Delete meetings older than this many days; null keeps them.",
    )
    language = language_field(
        required=False,
        help_text="What new meetings are in unless said otherwise: a Whisper code, or \"auto\" to detect it.",
    )
    accept_tasks = serializers.ChoiceField(
        choices=Workspace.TaskAcceptance.choices, required=False,
        help_text="Tasks a summary finds: `confident` accepts the clear ones and suggests the rest, "
        "`always` accepts them all, `never` suggests them all.",
    )


class MemberUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(read_only=True)


class MemberSerializer(serializers.ModelSerializer):
    user = MemberUserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


class MemberRoleInSerializer(serializers.Serializer):
    required_on_patch = True

    role = serializers.ChoiceField(choices=Role.choices)


class InvitationInSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "workspace", "email", "role", "token", "expires_at", "created_at"]
        read_only_fields = fields


class InvitationAcceptInSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)


class GlossaryTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = GlossaryTerm
        fields = ["id", "term", "created_at"]
        read_only_fields = fields


class GlossaryTermInSerializer(serializers.Serializer):
    term = serializers.CharField(max_length=60, help_text="A word or a name for Whisper to expect.")
