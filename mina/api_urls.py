"""The REST API for mobile clients, under /api/v1/."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from accounts.api import CalendarApi, MeApi
from core.api import error_body
from meetings import api as meetings
from transcription import api as transcription
from workspaces import api as workspaces


def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Unknown API paths answer in the error shape too, never an HTML page."""
    return JsonResponse(error_body("not_found", "There is no such API endpoint."), status=404)


meeting = "meetings/<int:meeting_id>/"

urlpatterns = [
    path("auth/", include("accounts.api")),
    path("me/", MeApi.as_view(), name="me"),
    path("me/calendar/", CalendarApi.as_view(), name="api-calendar"),
    # Workspaces, members, invitations
    path("workspaces/", workspaces.WorkspacesApi.as_view(), name="api-workspaces"),
    path("workspaces/<int:workspace_id>/", workspaces.WorkspaceApi.as_view(), name="api-workspace"),
    path("workspaces/<int:workspace_id>/members/", workspaces.MembersApi.as_view(), name="api-members"),
    path("workspaces/<int:workspace_id>/glossary/", workspaces.GlossaryApi.as_view(), name="api-glossary"),
    path(
        "workspaces/<int:workspace_id>/glossary/<int:term_id>/",
        workspaces.GlossaryTermApi.as_view(),
        name="api-glossary-term",
    ),
    path(
        "workspaces/<int:workspace_id>/members/<int:member_id>/",
        workspaces.MemberApi.as_view(),
        name="api-member",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations/",
        workspaces.InvitationsApi.as_view(),
        name="api-invitations",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations/<int:invitation_id>/",
        workspaces.InvitationApi.as_view(),
        name="api-invitation",
    ),
    path("invitations/accept/", workspaces.InvitationAcceptApi.as_view(), name="api-invitation-accept"),
    # Meetings
    path("meetings/", transcription.MeetingsApi.as_view(), name="api-meetings"),
    path(meeting, meetings.MeetingApi.as_view(), name="api-meeting"),
    path(f"{meeting}end/", meetings.MeetingEndApi.as_view(), name="api-meeting-end"),
    path(f"{meeting}participants/", meetings.ParticipantsApi.as_view(), name="api-participants"),
    path(
        f"{meeting}participants/<int:participant_id>/",
        meetings.ParticipantApi.as_view(),
        name="api-participant",
    ),
    path(
        f"{meeting}participants/<int:participant_id>/suggestion/",
        meetings.ParticipantSuggestionApi.as_view(),
        name="api-participant-suggestion",
    ),
    path(f"{meeting}talk-time/", transcription.TalkTimeApi.as_view(), name="api-talk-time"),
    path(f"{meeting}summary/", meetings.SummaryApi.as_view(), name="api-summary"),
    path(f"{meeting}carry-over/", meetings.CarryOverApi.as_view(), name="api-carry-over"),
    path(
        f"{meeting}done-proposals/<int:proposal_id>/", meetings.DoneProposalApi.as_view(), name="api-done-proposal"
    ),
    path(f"{meeting}summary/regenerate/", transcription.ResummarizeApi.as_view(), name="api-resummarize"),
    path(f"{meeting}segments/", transcription.SegmentsApi.as_view(), name="api-segments"),
    path(f"{meeting}segments/<int:segment_id>/", transcription.SegmentApi.as_view(), name="api-segment"),
    path(f"{meeting}transcript/replace/", transcription.TranscriptReplaceApi.as_view(), name="api-transcript-replace"),
    path(f"{meeting}recordings/", transcription.RecordingsApi.as_view(), name="api-recordings"),
    path(
        f"{meeting}recordings/<int:recording_id>/",
        transcription.RecordingApi.as_view(),
        name="api-recording",
    ),
    # Downloads
    path(f"{meeting}export/transcript.txt", transcription.TranscriptTxtApi.as_view(), name="api-export-txt"),
    path(f"{meeting}export/transcript.srt", transcription.TranscriptSrtApi.as_view(), name="api-export-srt"),
    path(f"{meeting}export/transcript.vtt", transcription.TranscriptVttApi.as_view(), name="api-export-vtt"),
    path(f"{meeting}export/summary.md", transcription.SummaryMarkdownApi.as_view(), name="api-export-summary"),
    # Tasks
    path("tasks/", meetings.TasksApi.as_view(), name="api-tasks"),
    path("tasks/<int:task_id>/", meetings.TaskApi.as_view(), name="api-task"),
    path("decisions/", meetings.DecisionsApi.as_view(), name="api-decisions"),
    re_path(r"^.*$", not_found),
]
