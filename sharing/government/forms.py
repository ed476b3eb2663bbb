"""Forms of the government partner pages."""

from django import forms

from sharing.models import Partner
from sharing.taxii.client import AUTH_KIND_LABELS

_PEM = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"})


class PartnerForm(forms.Form):
    name = forms.CharField(max_length=150)
    is_us_government = forms.BooleanField(
        required=False,
        initial=True,
        label="A US government agency",
        help_text="Reports whose consent is “US government only” go to US government partners "
        "only.",
    )
    api_root = forms.URLField(
        max_length=2000,
        label="TAXII 2.1 API root URL",
        help_text="e.g. https://taxii.example.gov/api1/ (the server's discovery lists it).",
        assume_scheme="https",
    )
    collection_id = forms.CharField(max_length=200, label="Collection id")
    auth_kind = forms.ChoiceField(
        choices=[(kind.value, label) for kind, label in AUTH_KIND_LABELS.items()],
        label="Authentication",
    )
    username = forms.CharField(max_length=200, required=False, label="User name (HTTP Basic)")
    password = forms.CharField(
        required=False,
        strip=False,
        label="Password (HTTP Basic)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    token = forms.CharField(
        required=False,
        label="Bearer token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    certificate_pem = forms.CharField(required=False, label="Client certificate (PEM)", widget=_PEM)
    key_pem = forms.CharField(
        required=False, label="Client certificate's private key (PEM)", widget=_PEM
    )
    ca_certificate_pem = forms.CharField(
        required=False,
        label="The server's certificate authority (PEM, only if private)",
        widget=_PEM,
    )

    def __init__(self, *args: object, partner: Partner | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if partner is not None:
            # Stored secrets are never shown; blank keeps them.
            keep = "Leave blank to keep the one stored."
            for name in ("password", "token", "key_pem"):
                self.fields[name].help_text = keep
            self.fields["certificate_pem"].help_text = keep


class DryRunForm(forms.Form):
    report = forms.UUIDField(label="Report id (from its address)")
