from __future__ import annotations

from typing import Any

from django import forms


class AskForm(forms.Form):
    """The Ask box's filters; the question itself is checked by selectors.question_clean
    (one rule for the page and the API)."""

    q = forms.CharField(label="Ask", required=False, strip=False)
    meeting = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    speaker = forms.CharField(required=False, max_length=150)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = self.cleaned_data
        return {
            "meeting_id": data.get("meeting"),
            "speaker": data.get("speaker") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }
