from django import forms

from .models import Endpoint, Event


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=500,
        help_text="An https:// address on the internet, e.g. a Slack incoming webhook.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/mina-webhook"}),
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=Event.choices, initial=Event.values, widget=forms.CheckboxSelectMultiple
    )
    format = forms.ChoiceField(label="Format", choices=Endpoint.Format.choices, initial=Endpoint.Format.JSON)
