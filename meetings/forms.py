from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from core.languages import LANGUAGE_CHOICES
from workspaces.models import Workspace

from .models import Meeting, Task


class MeetingForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    series = forms.CharField(
        label="Series", max_length=100, required=False,
        widget=forms.TextInput(attrs={"list": "series-names", "autocomplete": "off"}),
        help_text="For a meeting that recurs (“Weekly stand-up”): it opens with what the last one left open.",
    )
    language = forms.ChoiceField(
        label="Spoken language", choices=LANGUAGE_CHOICES, required=False,
        help_text="English is transcribed fastest; “Detect it” lets Mina tell from the first words.",
    )


class MeetingFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *Meeting.Status.choices])
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict[str, Any]:
        """The filters that parsed; a bad one is ignored (and shown as an error)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "search": data.get("q") or "",
            "status": data.get("status") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }

    @property
    def active(self) -> bool:
        return any(self.filters().values())


class TaskStatusFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "All"), *Task.Status.choices])


class TaskEditForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_date = forms.DateField(required=False)
    status = forms.ChoiceField(choices=Task.Status.choices)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(memberships__workspace=workspace)  # type: ignore[attr-defined]


class ParticipantForm(forms.Form):
    """Who a speaker is: a member of the workspace, or a name (a guest, or a member by name)."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    name = forms.CharField(max_length=150, required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(memberships__workspace=workspace)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("user") and not (data.get("name") or "").strip():
            raise forms.ValidationError("Give the participant a name, or choose a member.")
        return data


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Task.Status.choices)


class DoneProposalForm(forms.Form):
    done = forms.TypedChoiceField(choices=[("yes", "Done"), ("no", "Not done")], coerce=lambda v: v == "yes")


class DecisionFilterForm(forms.Form):
    q = forms.CharField(label="Search decisions", required=False, max_length=200)
    series = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TaskReviewForm(forms.Form):
    review = forms.ChoiceField(choices=Task.Review.choices)
    # Which list the row is in: the meeting's tasks or My tasks' suggestions.
    row = forms.ChoiceField(choices=[("meeting", "meeting"), ("mine", "mine")], required=False)
