"""Workspaces, members and invitations (/api/v1/workspaces/, /api/v1/invitations/)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest import Page, validated

from . import services
from .models import GlossaryTerm, Membership, Role
from .selectors import (
    glossary_list,
    invitation_of,
    invitation_pending_list,
    member_get,
    member_list,
    membership_get,
    membership_list,
)
from .serializers import (
    GlossaryTermInSerializer,
    GlossaryTermSerializer,
    InvitationAcceptInSerializer,
    InvitationInSerializer,
    InvitationSerializer,
    MemberRoleInSerializer,
    MemberSerializer,
    WorkspaceInSerializer,
    WorkspaceSerializer,
)


class WorkspacesApi(generics.ListAPIView):
    """The workspaces I belong to, with my role; POST creates one that I own."""

    serializer_class = WorkspaceSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Membership]:
        return membership_list(user=self.request.user)

    @extend_schema(request=WorkspaceInSerializer, responses={201: WorkspaceSerializer})
    def post(self, request: Request) -> Response:
        data = validated(WorkspaceInSerializer, request.data)
        workspace = services.workspace_create(user=request.user, **data)
        membership = membership_get(user=request.user, workspace_id=workspace.id)
        return Response(WorkspaceSerializer(membership).data, status=status.HTTP_201_CREATED)


class WorkspaceApi(APIView):
    @extend_schema(responses=WorkspaceSerializer)
    def get(self, request: Request, workspace_id: int) -> Response:
        membership = membership_get(user=request.user, workspace_id=workspace_id)
        return Response(WorkspaceSerializer(membership).data)

    @extend_schema(request=WorkspaceInSerializer(partial=True), responses=WorkspaceSerializer)
    def patch(self, request: Request, workspace_id: int) -> Response:
        """Rename or change the retention (admin and up)."""
        membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
        data = validated(WorkspaceInSerializer, request.data, partial=True)
        services.workspace_update(membership=membership, **data)
        return Response(WorkspaceSerializer(membership).data)


class MembersApi(generics.ListAPIView):
    serializer_class = MemberSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Membership]:
        membership = membership_get(user=self.request.user, workspace_id=self.kwargs["workspace_id"])
        return member_list(workspace=membership.workspace)


class MemberApi(APIView):
    error_statuses = (409,)

    @extend_schema(request=MemberRoleInSerializer, responses=MemberSerializer)
    def patch(self, request: Request, workspace_id: int, member_id: int) -> Response:
        """Change a member's role (admin and up; only owners make or unmake owners)."""
        actor = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
        target = member_get(workspace=actor.workspace, membership_id=member_id)
        data = validated(MemberRoleInSerializer, request.data)
        target = services.membership_change_role(actor=actor, target=target, role=data["role"])
        return Response(MemberSerializer(target).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, workspace_id: int, member_id: int) -> Response:
        """Remove a member (admin and up), or leave (your own membership). The last owner stays."""
        actor = membership_get(user=request.user, workspace_id=workspace_id)
        target = member_get(workspace=actor.workspace, membership_id=member_id)
        services.membership_remove(actor=actor, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsApi(APIView):
    error_statuses = (409,)

    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request, workspace_id: int) -> Response:
        """Open invitations, newest first (admin and up: they carry the links)."""
        membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
        invitations = invitation_pending_list(workspace=membership.workspace)
        return Response(InvitationSerializer(invitations, many=True).data)

    @extend_schema(request=InvitationInSerializer, responses={201: InvitationSerializer})
    def post(self, request: Request, workspace_id: int) -> Response:
        """Invite an email address (admin and up): the invitee is emailed the link (the token)."""
        membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
        data = validated(InvitationInSerializer, request.data)
        invitation = services.invitation_create(
            membership=membership, site_url=request.build_absolute_uri("/"), **data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, workspace_id: int, invitation_id: int) -> Response:
        """Revoke an open invitation (admin and up; an owner's invitation, owners only)."""
        membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
        invitation = invitation_of(workspace=membership.workspace, invitation_id=invitation_id)
        services.invitation_revoke(membership=membership, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptApi(APIView):
    error_statuses = (404, 409)

    @extend_schema(request=InvitationAcceptInSerializer, responses=WorkspaceSerializer)
    def post(self, request: Request) -> Response:
        """Join a workspace: only the signed-in user with the invited email can."""
        data = validated(InvitationAcceptInSerializer, request.data)
        membership = services.invitation_accept(user=request.user, token=data["token"])
        return Response(WorkspaceSerializer(membership).data)


class GlossaryApi(generics.ListAPIView):
    """The words Whisper is told to expect in this workspace's meetings (members' names
    are added by themselves); POST adds one (member and up), within the prompt's room."""

    serializer_class = GlossaryTermSerializer
    pagination_class = Page
    error_statuses = (409,)

    def get_queryset(self) -> QuerySet[GlossaryTerm]:
        membership = membership_get(user=self.request.user, workspace_id=self.kwargs["workspace_id"])
        return glossary_list(workspace=membership.workspace)

    @extend_schema(request=GlossaryTermInSerializer, responses={201: GlossaryTermSerializer})
    def post(self, request: Request, workspace_id: int) -> Response:
        membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.MEMBER)
        data = validated(GlossaryTermInSerializer, request.data)
        term = services.glossary_add(membership=membership, term=data["term"])
        return Response(GlossaryTermSerializer(term).data, status=status.HTTP_201_CREATED)


class GlossaryTermApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, workspace_id: int, term_id: int) -> Response:
        """Admin and up."""
        membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
        services.glossary_remove(membership=membership, term_id=term_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
