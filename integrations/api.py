"""Webhook endpoints and their deliveries (/api/v1/workspaces/<id>/webhooks/), admins only:
every operation, reads too, answers 403 below admin (`error_statuses` documents it)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest import Page, validated

from . import services
from .models import Delivery, Endpoint
from .selectors import admin_membership_get, delivery_list, endpoint_get, endpoint_list
from .serializers import DeliverySerializer, EndpointInSerializer, EndpointSerializer


class EndpointsApi(generics.ListAPIView):
    """The workspace's webhook endpoints; POST registers one (admin and up)."""

    error_statuses = (403,)
    serializer_class = EndpointSerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Endpoint]:
        membership = admin_membership_get(user=self.request.user, workspace_id=self.kwargs["workspace_id"])
        return endpoint_list(membership=membership)

    @extend_schema(request=EndpointInSerializer, responses={201: EndpointSerializer})
    def post(self, request: Request, workspace_id: int) -> Response:
        membership = admin_membership_get(user=request.user, workspace_id=workspace_id)
        data = validated(EndpointInSerializer, request.data)
        endpoint = services.endpoint_create(membership=membership, **data)
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointApi(APIView):
    error_statuses = (403,)

    @extend_schema(responses=EndpointSerializer)
    def get(self, request: Request, workspace_id: int, endpoint_id: int) -> Response:
        membership = admin_membership_get(user=request.user, workspace_id=workspace_id)
        return Response(EndpointSerializer(endpoint_get(membership=membership, endpoint_id=endpoint_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, workspace_id: int, endpoint_id: int) -> Response:
        membership = admin_membership_get(user=request.user, workspace_id=workspace_id)
        endpoint = endpoint_get(membership=membership, endpoint_id=endpoint_id)
        services.endpoint_delete(endpoint=endpoint, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveriesApi(generics.ListAPIView):
    """An endpoint's deliveries, newest first: status, attempts, answer and timing."""

    error_statuses = (403,)
    serializer_class = DeliverySerializer
    pagination_class = Page

    def get_queryset(self) -> QuerySet[Delivery]:
        membership = admin_membership_get(user=self.request.user, workspace_id=self.kwargs["workspace_id"])
        endpoint = endpoint_get(membership=membership, endpoint_id=self.kwargs["endpoint_id"])
        return delivery_list(membership=membership, endpoint=endpoint)
