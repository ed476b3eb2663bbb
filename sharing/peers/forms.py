"""Forms of the peer pages (ISAC admins)."""

from typing import Any

from django import forms

from accounts.models import Organisation, Sector, TrustGroup, User
from sharing.models import Feed, Peer, Report
from sharing.peers.credentials import PeerSecrets
from sharing.peers.services import PeerSettings
from sharing.taxii.client import AUTH_KIND_LABELS
from sharing.tlp import TLP

_PUSHABLE = [(t.value, t.label) for t in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)]


class PeerForm(forms.Form):
    name = forms.CharField(max_length=150)
    kind = forms.ChoiceField(choices=Peer.Kind.choices, initial=Peer.Kind.TAXII21)
    api_root_url = forms.URLField(
        label="TAXII API root",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="e.g. https://taxii.peer-isac.example/api1/ (collections are under it).",
    )
    feed_url = forms.URLField(
        label="MISP feed URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="The feed's folder, e.g. https://misp.peer.example/feeds/community/ "
        "(manifest.json is under it). Blank: the MISP instance only subscribes to ours.",
    )
    headers = forms.CharField(
        label="Request headers (MISP feed)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='One "Name: value" a line, as in MISP\'s feed settings. Stored encrypted and '
        "never shown again; blank keeps the stored headers.",
    )
    auth = forms.ChoiceField(
        label="Sign in with",
        choices=[(kind.value, label) for kind, label in AUTH_KIND_LABELS.items()],
    )
    username = forms.CharField(max_length=200, required=False, label="User name (Basic)")
    password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Left blank: kept as stored."
    )
    token = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Left blank: kept as stored."
    )
    certificate_pem = forms.CharField(
        label="Client certificate (PEM)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    key_pem = forms.CharField(
        label="Client key (PEM)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Stored encrypted and never shown again; blank keeps the stored key.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Exchange with this peer")
    pull_enabled = forms.BooleanField(
        required=False, initial=True, label="Pull its collections or its MISP feed"
    )
    poll_minutes = forms.IntegerField(min_value=1, initial=15, label="Poll every (minutes)")
    unmarked_tlp = forms.ChoiceField(
        choices=TLP.choices,
        initial=TLP.AMBER,
        label="TLP of objects it sends unmarked",
    )
    push_collection_id = forms.CharField(
        max_length=200, required=False, label="Push to collection (id)"
    )
    push_tlp_max = forms.ChoiceField(
        choices=_PUSHABLE, initial=TLP.GREEN, label="Highest TLP that may leave"
    )
    push_sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any sector.",
    )
    push_report_types = forms.MultipleChoiceField(
        choices=Report.Type.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any type.",
    )
    push_attribution = forms.BooleanField(
        required=False,
        label="Name the member as source when its agreement and the report allow it",
        help_text="Otherwise the ISAC is the source of everything this peer receives.",
    )

    # The form's parts, each shown for one kind of peer ("" for every kind).
    FIELDSETS = (
        ("The peer", "", ("name", "kind", "is_active")),
        ("TAXII 2.1 server", Peer.Kind.TAXII21, ("api_root_url",)),
        ("MISP feed", Peer.Kind.MISP, ("feed_url", "headers")),
        ("Sign in", "", ("auth", "username", "password", "token", "certificate_pem", "key_pem")),
        ("Pull", "", ("pull_enabled", "poll_minutes", "unmarked_tlp")),
        (
            "Push: the outbound gateway",
            Peer.Kind.TAXII21,
            ("push_collection_id", "push_tlp_max", "push_sectors", "push_report_types",
             "push_attribution"),
        ),
    )  # fmt: skip

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(legend, kind, [self[name] for name in names]) for legend, kind, names in
                self.FIELDSETS]  # fmt: skip

    @staticmethod
    def initial_from(peer: Peer) -> dict[str, Any]:
        fields = (
            "name", "kind", "api_root_url", "feed_url", "auth", "username", "is_active",
            "pull_enabled", "poll_minutes", "unmarked_tlp", "push_collection_id", "push_tlp_max",
            "push_report_types", "push_attribution",
        )  # fmt: skip
        initial = {name: getattr(peer, name) for name in fields}
        initial["push_sectors"] = list(peer.push_sectors.all())
        return initial

    def peer_settings(self) -> PeerSettings:
        data = self.cleaned_data
        return PeerSettings(
            name=data["name"],
            kind=data["kind"],
            api_root_url=data["api_root_url"],
            feed_url=data["feed_url"],
            auth=data["auth"],
            username=data["username"],
            is_active=data["is_active"],
            pull_enabled=data["pull_enabled"],
            poll_minutes=data["poll_minutes"],
            unmarked_tlp=data["unmarked_tlp"],
            push_collection_id=data["push_collection_id"].strip(),
            push_tlp_max=data["push_tlp_max"],
            push_sectors=list(data["push_sectors"]),
            push_report_types=list(data["push_report_types"]),
            push_attribution=data["push_attribution"],
        )

    def secrets(self) -> PeerSecrets:
        data = self.cleaned_data
        return PeerSecrets(
            password=data["password"],
            token=data["token"],
            certificate_pem=data["certificate_pem"],
            key_pem=data["key_pem"],
            headers=data["headers"],
        )


class RuleForm(forms.Form):
    tlp = forms.ChoiceField(choices=TLP.choices, label="Reports the peer marks")
    audience_everyone = forms.BooleanField(required=False, label="The whole membership")
    audience_sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    audience_groups = forms.ModelMultipleChoiceField(
        queryset=TrustGroup.objects.all(), required=False, label="Trust groups and communities"
    )
    audience_organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.filter(is_isac=False), required=False
    )
    audience_people = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="TLP:RED only.",
    )


class CollectionForm(forms.Form):
    collection_id = forms.CharField(max_length=200, label="Collection id")
    title = forms.CharField(max_length=300, required=False)
    added_after = forms.CharField(
        max_length=40,
        required=False,
        help_text="Optional: pull only what was added after this time (e.g. 2026-01-01T00:00:00Z).",
    )


class PushForm(forms.Form):
    feed = forms.ModelChoiceField(
        queryset=Feed.objects.filter(is_active=True).exclude(kind=Feed.Kind.PERSONAL),
        help_text="Its reports go to the peer through the outbox, as webhooks do.",
    )
