from django import forms

from .models import Role


class WorkspaceForm(forms.Form):
    name = forms.CharField(
        label="Workspace name",
        max_length=100,
        help_text="Usually your team or company, e.g. “Design team”.",
        widget=forms.TextInput(attrs={"autofocus": True}),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
