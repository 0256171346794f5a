from django import forms

from core.languages import ENGLISH, LANGUAGE_CHOICES

from .models import Role, Workspace


class WorkspaceForm(forms.Form):
    name = forms.CharField(
        label="Workspace name",
        max_length=100,
        help_text="Usually your team or company, e.g. “Design team”.",
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    language = forms.ChoiceField(
        label="Meetings are usually in", choices=LANGUAGE_CHOICES, initial=ENGLISH, required=False,
        help_text="Each meeting can say otherwise.",
    )


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=100)
    language = forms.ChoiceField(
        label="Meetings are usually in", choices=LANGUAGE_CHOICES,
        help_text="New meetings take it; each meeting can say otherwise.",
    )
    accept_tasks = forms.ChoiceField(
        label="Tasks found in meetings", choices=Workspace.TaskAcceptance.choices,
        help_text="A suggestion waits on the meeting's page until its assignee or the organizer accepts or "
        "dismisses it.",
    )
    retention_days = forms.IntegerField(
        label="Delete meetings after (days)", min_value=1, max_value=36500, required=False,
        help_text="Leave empty to keep them.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class GlossaryTermForm(forms.Form):
    term = forms.CharField(
        label="Word or name", max_length=60,
        help_text="A product, a client, jargon: spelt as your team spells it, e.g. “Kubernetes”.",
    )
