from django.urls import path

from . import views

app_name = "workspaces"

urlpatterns = [
    path("workspaces/new/", views.workspace_create, name="create"),
    path("w/<int:workspace_id>/switch/", views.workspace_switch, name="switch"),
    path("w/<int:workspace_id>/settings/", views.workspace_settings, name="settings"),
    path("w/<int:workspace_id>/members/", views.member_list, name="members"),
    path("w/<int:workspace_id>/glossary/", views.glossary, name="glossary"),
    path("w/<int:workspace_id>/glossary/<int:term_id>/remove/", views.glossary_remove, name="glossary-remove"),
    path("w/<int:workspace_id>/invitations/", views.invitation_create, name="invite"),
    path("w/<int:workspace_id>/members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("w/<int:workspace_id>/members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path(
        "w/<int:workspace_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation"),
]
