"""Browser forms for reports. They only parse what was typed; rules live in services."""

import uuid
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from accounts.consent import SCOPE_RANK, organisation_consent
from accounts.emails import normalise_email
from accounts.models import (
    ForwardingConsent,
    Membership,
    Organisation,
    Sector,
    TrustGroup,
    User,
)
from accounts.standing import organisations_in_good_standing
from portal.widgets import FastSelect, FastSelectMultiple
from sharing import policy
from sharing.audience import addressable_groups
from sharing.models import Indicator, Report, Sighting
from sharing.selectors import source_choices
from sharing.services import ReportContent
from sharing.tlp import TLP

TLP_CHOICES = [("", "Choose a TLP label…"), *TLP.choices]


class AudienceForm(forms.Form):
    """The TLP and audience fields, as reports and requests for information choose them.
    The people the viewer may pick by name come from the policy's directory."""

    tlp = forms.ChoiceField(label="TLP", choices=TLP_CHOICES, required=False)
    audience_everyone = forms.BooleanField(
        label="The whole membership", required=False, help_text="Every member in good standing."
    )
    audience_sectors = forms.ModelMultipleChoiceField(
        label="Sectors",
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Every member organisation and person may be offered: drawn directly (portal.widgets).
    audience_organisations = forms.ModelMultipleChoiceField(
        label="Organisations",
        queryset=Organisation.objects.none(),
        required=False,
        widget=FastSelectMultiple,
    )
    audience_groups = forms.ModelMultipleChoiceField(
        label="Trust groups",
        queryset=TrustGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_people = forms.ModelMultipleChoiceField(
        label="Named people (TLP:RED only)",
        queryset=User.objects.none(),
        required=False,
        widget=FastSelectMultiple,
    )
    audience_people_emails = forms.CharField(
        label="More people, by exact e-mail address",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One address a line, for people outside your organisation's trust groups.",
    )

    def __init__(
        self, *args: Any, viewer: Membership, named: QuerySet[User] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["audience_groups"].queryset = addressable_groups(viewer).order_by(  # type: ignore[attr-defined]
            "kind", "name"
        )
        members = organisations_in_good_standing().filter(is_isac=False)
        self.fields["audience_organisations"].queryset = members  # type: ignore[attr-defined]
        # The people the analyst may pick by name (their trust groups), and whoever is
        # already named; anyone else only by exact e-mail address.
        people = policy.people_directory(viewer)
        if named is not None:
            people = User.objects.filter(
                Q(pk__in=people.values("pk")) | Q(pk__in=named.values("pk"))
            )
        self.fields["audience_people"].queryset = people.order_by("full_name")  # type: ignore[attr-defined]
        self.fields["audience_people"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: f"{u.full_name} <{u.email}>"
        )

    def clean_audience_people_emails(self) -> list[User]:
        found, unknown = [], []
        for line in self.cleaned_data.get("audience_people_emails", "").split():
            person = policy.person_by_email(self.viewer, normalise_email(line))
            if person is None:
                unknown.append(line)
            else:
                found.append(person)
        if unknown:
            raise forms.ValidationError(
                "No active member in good standing has the address: " + ", ".join(unknown)
            )
        return found

    def named_people(self) -> list[User]:
        data = self.cleaned_data
        return list(dict.fromkeys([*data["audience_people"], *data["audience_people_emails"]]))


class ReportForm(AudienceForm):
    """Everything is optional while drafting, so nothing typed is ever refused; the checks
    that matter run when the analyst confirms the preview."""

    title = forms.CharField(max_length=300, required=False)
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Two or three sentences a busy reader will see in lists.",
    )
    body_markdown = forms.CharField(
        label="Body",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        help_text="Markdown. Links open without passing your address on.",
    )
    sectors = forms.ModelMultipleChoiceField(
        label="Sectors affected",
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    report_type = forms.ChoiceField(
        choices=Report.Type.choices, initial=Report.Type.ALERT, required=False
    )
    confidence = forms.TypedChoiceField(
        choices=Report.Confidence.choices,
        coerce=int,
        initial=Report.Confidence.MEDIUM,
        required=False,
        empty_value=None,
    )
    attributed = forms.BooleanField(
        label="Show my organisation as the source",
        required=False,
        help_text="Unticked, readers see the ISAC as the source; only ISAC staff see yours.",
    )
    public_release = forms.BooleanField(
        label="Release on the ISAC's public feed",
        required=False,
        help_text=(
            "TLP:CLEAR only. Anyone may then read the title, summary, text and indicators "
            "without signing in, when the ISAC publishes its public feed; the source shown "
            "follows the choice above."
        ),
    )
    indicators_text = forms.CharField(
        label="Indicators",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text="Paste lists or free text: IPs, domains, URLs, hashes, e-mail addresses.",
    )
    attachment = forms.FileField(
        required=False, help_text="PDF, images, ZIP or plain text; checked by content."
    )
    government_consent = forms.ChoiceField(
        label="Government forwarding",
        required=False,
        help_text="TLP:CLEAR and TLP:GREEN only, anonymised (the ISAC as source). You may "
        "narrow your organisation's consent for this report, never widen it.",
    )
    government_cisa_proprietary = forms.BooleanField(
        label="Handle as CISA proprietary", required=False
    )

    def __init__(
        self, *args: Any, viewer: Membership, report: Report | None = None, **kwargs: Any
    ) -> None:
        named = report.audience_people.all() if report is not None else None
        super().__init__(*args, viewer=viewer, named=named, **kwargs)
        self._government_choices(viewer)

    def _government_choices(self, viewer: Membership) -> None:
        """The organisation's consent as the default and the narrower choices; ISAC staff
        choose freely for the ISAC's own reports. Hidden when nothing may be forwarded."""
        field = self.fields["government_consent"]
        scopes = ForwardingConsent.Scope
        if viewer.organisation.is_isac:
            field.choices = [("", "Do not forward"), *scopes.choices[1:]]  # type: ignore[attr-defined]
            field.help_text = "For the ISAC's own reports, ISAC staff choose."
            return
        standing = organisation_consent(viewer.organisation)
        if standing.scope == scopes.NONE:
            del self.fields["government_consent"]
            del self.fields["government_cisa_proprietary"]
            return
        narrower = [
            (value, label)
            for value, label in scopes.choices
            if SCOPE_RANK[value] < SCOPE_RANK[standing.scope]
        ]
        default = f"Our organisation's consent: {scopes(standing.scope).label}"
        if standing.cisa_proprietary:
            default += ", CISA proprietary"
            del self.fields["government_cisa_proprietary"]
        field.choices = [("", default), *narrower]  # type: ignore[attr-defined]

    def content(self) -> ReportContent:
        data = self.cleaned_data
        named = self.named_people()
        return ReportContent(
            title=data["title"],
            summary=data["summary"],
            body_markdown=data["body_markdown"],
            tlp=data["tlp"],
            report_type=data["report_type"] or Report.Type.ALERT,
            confidence=data["confidence"]
            if data["confidence"] is not None
            else Report.Confidence.MEDIUM,
            attributed=data["attributed"],
            public_release=data["public_release"],
            indicators_text=data["indicators_text"],
            sectors=list(data["sectors"]),
            audience_everyone=data["audience_everyone"],
            audience_sectors=list(data["audience_sectors"]),
            audience_organisations=list(data["audience_organisations"]),
            audience_people=named,
            audience_groups=list(data["audience_groups"]),
            government_consent=data.get("government_consent") or "",
            government_cisa_proprietary=bool(data.get("government_cisa_proprietary")),
        )

    @staticmethod
    def initial_for(report: Report) -> dict[str, Any]:
        return {
            "title": report.title,
            "summary": report.summary,
            "body_markdown": report.body_markdown,
            "tlp": report.tlp,
            "audience_everyone": report.audience_everyone,
            "audience_sectors": list(report.audience_sectors.all()),
            "audience_organisations": list(report.audience_organisations.all()),
            "audience_people": list(report.audience_people.all()),
            "audience_groups": list(report.audience_groups.all()),
            "sectors": list(report.sectors.all()),
            "report_type": report.report_type,
            "confidence": report.confidence,
            "attributed": report.attributed,
            "public_release": report.public_release,
            "indicators_text": report.indicators_text,
            "government_consent": report.government_consent,
            "government_cisa_proprietary": report.government_cisa_proprietary,
        }


class ListFilterForm(forms.Form):
    # Its selects are drawn directly (portal.widgets): the list is the most read page and
    # the sources grow with the membership.
    q = forms.CharField(label="Search", required=False, max_length=200)
    tlp = forms.ChoiceField(
        choices=[("", "Any TLP"), *TLP.choices], required=False, widget=FastSelect
    )
    sector = forms.ChoiceField(required=False, widget=FastSelect)
    report_type = forms.ChoiceField(
        label="Type",
        choices=[("", "Any type"), *Report.Type.choices],
        required=False,
        widget=FastSelect,
    )
    # Any organisation id is accepted (the list shows only what the viewer may see as a
    # source, and the search itself never reveals a hidden one): an id the viewer may not
    # pick finds nothing instead of being ignored.
    source = forms.CharField(required=False, widget=FastSelect)
    group = forms.ChoiceField(label="Trust group", required=False, widget=FastSelect)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(
        choices=[
            ("", "Best match, then newest"),
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("title", "Title"),
            ("tlp", "Narrowest TLP first"),
        ],
        required=False,
        widget=FastSelect,
    )

    def __init__(self, *args: Any, viewer: Membership | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [  # type: ignore[attr-defined]
            ("", "Any sector"),
            *Sector.objects.values_list("slug", "name"),
        ]
        # Only groups the viewer belongs to (or sector communities): names can be private.
        mine = addressable_groups(viewer) if viewer is not None else TrustGroup.objects.none()
        groups = mine.order_by("name").values_list("uuid", "name")
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", "Any group"),
            *[(str(u), n) for u, n in groups],
        ]
        # Only organisations the viewer may see as the source of a report they can read.
        self.fields["source"].widget.choices = [
            ("", "Any source"),
            ("isac", "Shared via the ISAC (unattributed)"),
            *source_choices(viewer),
        ]

    def clean_source(self) -> str:
        value: str = self.cleaned_data.get("source") or ""
        if value in ("", "isac"):
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise forms.ValidationError("Choose a source from the list.") from None


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SightingForm(forms.Form):
    # On every report page, with an option per indicator of the report (portal.widgets).
    indicator = forms.ModelChoiceField(
        label="What did you see?",
        queryset=Indicator.objects.none(),
        required=False,
        empty_label="The report as a whole",
        widget=FastSelect,
    )
    kind = forms.ChoiceField(
        label="What was it?",
        choices=Sighting.Kind.choices,
        required=False,
        widget=FastSelect,
        help_text="A false positive (an indicator only) lowers its score for everyone; a "
        "sighting keeps it valid longer.",
    )
    seen_on = forms.DateField(
        label="When did you see it?",
        required=False,
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    anonymous = forms.BooleanField(
        label="Report anonymously", required=False, help_text="Others see a count, not your name."
    )

    def __init__(self, *args: Any, indicators: list[Indicator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        # The queryset checks a posted choice; the page lists the indicators it already read,
        # so showing the form costs no query.
        field.queryset = Indicator.objects.filter(pk__in=[i.pk for i in indicators])  # type: ignore[attr-defined]
        field.widget.choices = [("", field.empty_label)] + [  # type: ignore[attr-defined]
            (indicator.pk, f"{indicator.type}: {indicator.value}") for indicator in indicators
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class CurationForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("reject", "Reject"),
            ("question", "Ask"),
            ("answer", "Answer"),
        ]
    )
    message = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RevisionNoteForm(forms.Form):
    note = forms.CharField(label="What changed", required=False, max_length=300)
    widen_reason = forms.CharField(
        label="Reason for widening the audience",
        required=False,
        max_length=1000,
        help_text=(
            "Only if this version lets more people read it; the reason is recorded. Earlier "
            "versions keep their audience, but the attached files go with this version."
        ),
    )


class PublishingDefaultsForm(forms.Form):
    """The audience an organisation's admins choose for uploads its tokens publish."""

    audience_everyone = forms.BooleanField(
        label="The whole membership", required=False, help_text="Every member in good standing."
    )
    audience_sectors = forms.ModelMultipleChoiceField(
        label="Sectors",
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_groups = forms.ModelMultipleChoiceField(
        label="Trust groups",
        queryset=TrustGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["audience_groups"].queryset = addressable_groups(viewer).order_by(  # type: ignore[attr-defined]
            "kind", "name"
        )
