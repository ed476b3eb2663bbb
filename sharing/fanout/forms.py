from zoneinfo import available_timezones

from django import forms
from django.db.models import Q

from accounts.models import Membership, Organisation, Sector, TrustGroup
from sharing.models import Report, Subscription
from sharing.tlp import TLP

_ZONES = sorted(available_timezones())


class SubscriptionForm(forms.Form):
    """One form for every channel; the page shows only the chosen channel's fields (with CSS,
    no script needed), and the fields of the others are ignored."""

    channel = forms.ChoiceField(
        label="Deliver it by",
        # Pushes to peer ISACs are set up by ISAC admins on the peer's page.
        choices=[c for c in Subscription.ChannelKind.choices if c[0] != "peer"],
        initial=Subscription.ChannelKind.PORTAL,
        widget=forms.RadioSelect,
    )
    scope = forms.ChoiceField(
        choices=Subscription.Scope.choices,
        initial=Subscription.Scope.PERSON,
        required=False,
        help_text="Only its admins subscribe the whole organisation.",
    )
    name = forms.CharField(max_length=150, required=False, help_text="Optional, for your list.")
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=(
            "Your receiver, on a public address (HTTPS recommended) or in a private range an "
            "ISAC admin has allowed."
        ),
    )
    email_mode = forms.ChoiceField(
        label="E-mail delivery",
        choices=Subscription.EmailMode.choices,
        initial=Subscription.EmailMode.IMMEDIATE,
        widget=forms.RadioSelect,
    )
    digest_hour = forms.IntegerField(
        label="Digest hour", min_value=0, max_value=23, initial=8, help_text="For a daily digest."
    )
    time_zone = forms.ChoiceField(choices=[(z, z) for z in _ZONES], initial="UTC")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        data["scope"] = data.get("scope") or Subscription.Scope.PERSON
        if data.get("channel") == Subscription.ChannelKind.WEBHOOK:
            data["scope"] = Subscription.Scope.ORGANISATION
            if not data.get("webhook_url"):
                self.add_error("webhook_url", "A webhook needs the URL of your receiver.")
        return data


class FeedForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    sectors = forms.ModelMultipleChoiceField(queryset=Sector.objects.all(), required=False)
    report_types = forms.MultipleChoiceField(choices=Report.Type.choices, required=False)
    min_confidence = forms.TypedChoiceField(
        choices=Report.Confidence.choices, coerce=int, initial=Report.Confidence.NONE
    )
    tlp_min = forms.ChoiceField(choices=TLP.choices, initial=TLP.CLEAR, label="Widest TLP")
    tlp_max = forms.ChoiceField(choices=TLP.choices, initial=TLP.RED, label="Narrowest TLP")
    source_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(status=Organisation.Status.ACTIVE),
        required=False,
        help_text="Only reports that name this member as their source.",
    )
    trust_group = forms.ModelChoiceField(
        queryset=TrustGroup.objects.none(),
        required=False,
        help_text="Only reports addressed to this trust group.",
    )
    for_everyone = forms.BooleanField(
        required=False, help_text="ISAC staff: publish the feed for all members to subscribe to."
    )

    def __init__(self, *args: object, viewer: Membership, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        groups = TrustGroup.objects.all()
        if not viewer.is_isac_staff:
            groups = groups.filter(
                Q(memberships__organisation_id=viewer.organisation_id)
                | Q(sector__in=viewer.organisation.sectors.all())
            ).distinct()
        self.fields["trust_group"].queryset = groups  # type: ignore[attr-defined]


class AllowanceForm(forms.Form):
    network = forms.CharField(max_length=64, help_text="CIDR, e.g. 10.20.0.0/16")
    note = forms.CharField(max_length=200, required=False)
