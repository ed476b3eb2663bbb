"""Forms of the member pages; they parse input, the services decide."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from accounts.emails import normalise_email
from accounts.models import AgreementVersion, ForwardingConsent, Membership, Organisation, Sector
from accounts.selectors.members import AgreementState
from portal.enqueue import enqueue_on_commit


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200)
    short_name = forms.CharField(max_length=50, required=False)
    country = forms.CharField(
        max_length=2, required=False, help_text="Two-letter ISO 3166 code, such as US or DE."
    )
    sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    require_mfa = forms.BooleanField(
        required=False, label="Require two-factor sign-in for its people"
    )
    allow_any_invite_domain = forms.BooleanField(
        required=False, label="Allow invitations to addresses outside its registered domains"
    )


class OrganisationCreateForm(OrganisationForm):
    domains = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E-mail domains, one a line (example.com).",
    )
    status = forms.ChoiceField(
        choices=Organisation.Status.choices, initial=Organisation.Status.APPLICANT
    )

    def domain_list(self) -> list[str]:
        return [d for d in self.cleaned_data["domains"].split() if d.strip()]


class SectorForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=500, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Organisation.Status.choices)
    reason = forms.CharField(max_length=500, required=False)


class DomainForm(forms.Form):
    domain = forms.CharField(max_length=253)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000)


class AgreementVersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    version_label = forms.CharField(max_length=50, help_text="For example 2026.2")
    body_markdown = forms.CharField(
        label="Agreement text (Markdown)", widget=forms.Textarea(attrs={"rows": 14})
    )
    # A date input shows only ISO dates (2026-03-12), whatever the language's own format.
    effective_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    renewal_period_days = forms.IntegerField(min_value=30, initial=365)
    may_forward_to_government = forms.BooleanField(
        required=False,
        label="The ISAC may forward members' CLEAR/GREEN reports, anonymised, to government "
        "partners",
    )
    may_show_source_name = forms.BooleanField(
        required=False, label="Members' names may be shown as the source of their reports"
    )
    retention_days = forms.IntegerField(min_value=1, initial=730, label="Data retention (days)")
    acceptable_use = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))

    @classmethod
    def initial_from(cls, version: AgreementVersion) -> dict[str, Any]:
        return {name: getattr(version, name) for name in cls.base_fields}


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(
        choices=[
            (Membership.Role.ANALYST.value, Membership.Role.ANALYST.label),
            (Membership.Role.ORG_ADMIN.value, Membership.Role.ORG_ADMIN.label),
        ]
    )


class IsacInviteForm(InviteForm):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class ForwardingConsentForm(forms.Form):
    """The organisation's government forwarding consent, in the AIS vocabulary."""

    forwarding_scope = forms.ChoiceField(
        choices=ForwardingConsent.Scope.choices,
        widget=forms.RadioSelect,
        label="The ISAC may forward our TLP:CLEAR and TLP:GREEN reports, anonymised, to",
        help_text=(
            "“US government only” reaches US government partners (such as CISA's AIS), which "
            "keep it within the US government; “Everyone” lets the government share it on. "
            "Analysts may narrow this for a report, never widen it."
        ),
    )
    cisa_proprietary = forms.BooleanField(
        required=False,
        label="Handle as CISA proprietary",
        help_text="The government keeps it under its proprietary-information protections.",
    )


class AcceptAgreementForm(ForwardingConsentForm):
    version = forms.UUIDField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I have read the agreement and accept it on behalf of my organisation"
    )
    typed_full_name = forms.CharField(max_length=200, label="Type your full name to sign")

    field_order = ["version", "forwarding_scope", "cisa_proprietary", "confirm", "typed_full_name"]

    def __init__(self, *args: Any, forwarding: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not forwarding:
            # The version does not provide for government forwarding: nothing to choose.
            del self.fields["forwarding_scope"]
            del self.fields["cisa_proprietary"]


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your full name")
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="The password again", widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") != cleaned.get("password2"):
            raise forms.ValidationError("The two passwords differ.")
        return cleaned


class OtpForm(forms.Form):
    token = forms.CharField(
        max_length=32,
        label="Code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or a recovery code.",
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, label="Action starts with")
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(), required=False, to_field_name="uuid"
    )
    actor = forms.CharField(required=False, label="Actor e-mail")
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Name")
    status = forms.ChoiceField(
        choices=[("", "any status"), *Organisation.Status.choices], required=False
    )
    sector = forms.ModelChoiceField(
        queryset=Sector.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="any sector",
    )
    agreement = forms.ChoiceField(required=False, label="Agreement")

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        self.fields["agreement"].choices = [  # type: ignore[attr-defined]
            ("", "any agreement state"),
            *AgreementState.choices,
        ]


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the address normalised as everywhere else."""

    def clean_username(self) -> str:
        return normalise_email(self.cleaned_data.get("username") or "")


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mail sent by the e-mail queue after commit."""

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data.get("email") or "")

    def save(self, *args: Any, **kwargs: Any) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            enqueue_on_commit("accounts.tasks.send_password_reset_email", user.pk)
