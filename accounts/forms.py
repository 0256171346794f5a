from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm

from .models import User, time_zone_names


class SignUpForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")
        labels = {"email": "Email", "display_name": "Your name"}
        help_texts = {"display_name": "How teammates see you and how Mina finds you in speech."}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
            "display_name": forms.TextInput(attrs={"autocomplete": "name"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's help text lists every validator; one plain sentence reads better.
        self.fields["password1"].help_text = "At least 8 characters; not a common password, not only digits."
        self.fields["password2"].label = "Repeat the password"
        self.fields["password2"].help_text = ""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Sign in instead.")
        return email


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match. Check both, or reset your password.",
    }


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(time_zone_names())]


class AccountSettingsForm(forms.ModelForm):
    """A person's own settings: their name, and the mail Mina sends them."""

    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        label="Time zone",
        help_text="Your daily digest arrives at the hour below, in this time zone.",
        error_messages={"invalid_choice": "“%(value)s” is not a time zone Mina knows. Pick one from the list."},
    )
    digest_hour = forms.TypedChoiceField(
        label="Digest time", coerce=int, choices=[(hour, f"{hour:02d}:00") for hour in range(24)]
    )

    class Meta:
        model = User
        fields = ("display_name", "time_zone", "digest_hour", "email_summaries", "email_digest")
        labels = {
            "display_name": "Your name",
            "email_summaries": "Mail me each meeting's summary and tasks",
            "email_digest": "Mail me a daily digest of my tasks due and overdue",
        }
        help_texts = {
            "display_name": "How teammates see you and how Mina finds you in speech.",
            "email_summaries": "For the meetings you take part in, once they are ready.",
            "email_digest": "Only on days with tasks due within a few days or overdue.",
        }
