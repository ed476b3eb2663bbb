from django import forms

EXPIRY_CHOICES = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("", "Never (not recommended)"),
]


class TokenIssueForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Where the token is used, e.g. 'SIEM TAXII poller'."
    )
    expires_in_days = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", required=False)
    read_only = forms.BooleanField(
        required=False, initial=True, help_text="Can read feeds and reports but not submit."
    )
    may_publish = forms.BooleanField(
        label="Publish uploads directly",
        required=False,
        initial=False,
        help_text="For automation: uploads are shared at once with your organisation's "
        "publishing defaults instead of waiting as drafts. Wording about prices or strategy, "
        "or personal data, still sends an upload to review.",
    )
    allowed_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: one IP address or CIDR range per line the token may be used from.",
    )

    def clean_allowed_networks(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["allowed_networks"].splitlines()]
