"""Shapes of the sharing API's answers. Serializers only translate: no access rules here
(the views take their rows from sharing.policy) and no writes (those are services)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Membership
from accounts.models.groups import TrustGroup
from sharing import policy
from sharing.lifecycle.selectors import Lifecycle, lifecycle_of
from sharing.models import (
    Delivery,
    Feed,
    Report,
    ReportIndicator,
    Rfi,
    RfiAnswer,
    Sighting,
    Submission,
    Subscription,
)
from sharing.normalize.selectors import next_step
from sharing.tlp import TLP


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer[Any]):
    """Field name (or non_field_errors) to the list of problems with it."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class ReportSerializer(serializers.ModelSerializer[Report]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    source: Any = serializers.SerializerMethodField(
        help_text="The sharing organisation's name, or null when the ISAC is shown as source."
    )
    sectors: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "title",
            "summary",
            "body_markdown",
            "tlp",
            "report_type",
            "confidence",
            "status",
            "source",
            "sectors",
            "public_release",
            "published_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "public_release": {
                "help_text": "The source asked for this TLP:CLEAR report to be on the ISAC's "
                "public feed (it is there once published)."
            }
        }

    def get_source(self, report: Report) -> str | None:
        viewer = self.context["viewer"]
        return report.organisation.name if policy.can_see_source(viewer, report) else None


# What `report_rows` reads of a report (and the list's cursor needs: published_at, created_at).
REPORT_ROW_FIELDS = (
    *("uuid", "title", "summary", "body_markdown", "tlp", "report_type", "confidence"),
    *("status", "attributed", "organisation_id", "organisation__name", "public_release"),
    *("published_at", "updated_at", "created_at", "version"),
)


def report_rows(
    reports: Iterable[Any], *, viewer: Membership | None, sectors: dict[int, list[str]]
) -> list[dict[str, Any]]:
    """Reports as `ReportSerializer` writes them, built directly for the list from rows read
    as named tuples of `REPORT_ROW_FIELDS` (plus `pk`): a model instance per report and per
    organisation, DRF's field machinery (a field object, attribute lookup and conversion per
    value) and a related manager per report for its sectors were most of the time of a page
    of 100. `sectors` maps each report's id to its sectors' slugs
    (`selectors.sector_slugs_of`). tests/test_api_sharing.py compares the rows with the
    serializer's."""
    zone = timezone.get_current_timezone()

    def time(value: datetime) -> str:
        # DRF's ISO 8601 output: in the current time zone, UTC written as Z.
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return [
        {
            "id": str(report.uuid),
            "title": report.title,
            "summary": report.summary,
            "body_markdown": report.body_markdown,
            "tlp": report.tlp,
            "report_type": report.report_type,
            "confidence": report.confidence,
            "status": report.status,
            "source": report.organisation__name if policy.can_see_source(viewer, report) else None,
            "sectors": sectors.get(report.pk, []),
            "public_release": report.public_release,
            "published_at": time(report.published_at) if report.published_at else None,
            "updated_at": time(report.updated_at),
            "version": report.version,
        }
        for report in reports
    ]


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    report: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    next_step = serializers.SerializerMethodField(
        help_text="What really happens next: being processed, published, waiting for your "
        "review in the portal (and why it was not published directly), waiting for ISAC "
        "review, or why it failed."
    )

    class Meta:
        model = Submission
        fields = [
            "id",
            "kind",
            "filename",
            "status",
            "progress",
            "error",
            "error_details",
            "report",
            "publish_directly",
            "held_reason",
            "next_step",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_next_step(self, submission: Submission) -> str:
        return next_step(submission)


UPLOAD_KINDS = [
    (Submission.Kind.TEXT, "Free text"),
    (Submission.Kind.STIX, "STIX 2.1 bundle"),
    (Submission.Kind.CSV, "CSV of indicators"),
    (Submission.Kind.MISP, "MISP event"),
]


class SubmissionCreateSerializer(serializers.Serializer[Any]):
    """An upload: the content as text, kept byte for byte as UTF-8."""

    kind = serializers.ChoiceField(choices=UPLOAD_KINDS)
    content = serializers.CharField(
        trim_whitespace=False, max_length=settings.NORMALIZE_MAX_UPLOAD_BYTES
    )
    filename = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    anonymous = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "true: show the ISAC, not the organisation, as source; false: name the "
            "organisation. Left out, the organisation's agreement decides, as in the browser."
        ),
    )


class SubmissionUploadParamsSerializer(serializers.Serializer[Any]):
    """The query string of a raw upload (the body is the file)."""

    kind = serializers.ChoiceField(
        choices=UPLOAD_KINDS,
        required=False,
        help_text="With a raw body: what it is (free text when not given).",
    )
    filename = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    anonymous = serializers.BooleanField(
        required=False, default=False, help_text="Show the ISAC, not the organisation, as source."
    )


class IndicatorSerializer(serializers.ModelSerializer[ReportIndicator]):
    """An indicator as one report the caller may read carries it, with its lifecycle: the
    score now, until when it is valid and whether it was revoked (see docs/indicators.md)."""

    stix_id = serializers.CharField(source="indicator.stix_id")
    type = serializers.CharField(source="indicator.type")
    value = serializers.CharField(source="indicator.value")
    report: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True)
    score = serializers.SerializerMethodField(
        help_text="0-100 now, decayed from its base score; null for types that do not decay."
    )
    valid_until = serializers.SerializerMethodField(
        help_text="When its score falls below the revoke score (or when it was ended)."
    )
    state = serializers.SerializerMethodField(
        help_text="active, expired (past valid_until, not yet swept), revoked, or lasting "
        "(a type that does not decay)."
    )
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ReportIndicator
        fields = [
            "stix_id",
            "type",
            "value",
            "report",
            "first_seen",
            "last_seen",
            "confidence",
            "description",
            "score",
            "valid_until",
            "state",
            "revoked",
        ]
        read_only_fields = fields

    def _lifecycle(self, link: ReportIndicator) -> Lifecycle:
        return lifecycle_of(
            link,
            kind=link.indicator.type,
            rules=self.context["rules"],
            now=self.context["now"],
        )

    def get_score(self, link: ReportIndicator) -> int | None:
        return self._lifecycle(link).score

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_valid_until(self, link: ReportIndicator) -> str | None:
        until = self._lifecycle(link).valid_until
        return serializers.DateTimeField().to_representation(until) if until else None

    def get_state(self, link: ReportIndicator) -> str:
        return self._lifecycle(link).state

    def get_revoked(self, link: ReportIndicator) -> bool:
        return link.revoked_at is not None


class IndicatorExpireSerializer(serializers.Serializer[Any]):
    report = serializers.UUIDField(help_text="The report that shares the indicator.")
    indicator = serializers.CharField(max_length=100, help_text="The indicator's STIX id.")
    reason = serializers.CharField(max_length=2000, help_text="Why it is no longer valid.")


class IndicatorExpirySerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(
        help_text="expired (for everyone: the report's organisation or ISAC staff) or "
        "flagged (a vote other readers see counted)."
    )
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class TrustGroupSerializer(serializers.ModelSerializer[TrustGroup]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    sector: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = TrustGroup
        fields = ["id", "name", "description", "kind", "sector", "join_policy"]
        read_only_fields = fields


class SightingSerializer(serializers.ModelSerializer[Sighting]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    report: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    indicator: Any = serializers.SlugRelatedField(
        slug_field="stix_id", read_only=True, allow_null=True
    )
    organisation: Any = serializers.SerializerMethodField(
        help_text="Who saw it; null for an anonymous sighting (except for ISAC staff)."
    )

    class Meta:
        model = Sighting
        fields = [
            "id",
            "report",
            "indicator",
            "organisation",
            "kind",
            "seen_on",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    def get_organisation(self, sighting: Sighting) -> str | None:
        if policy.can_see_sighter(self.context["viewer"], sighting):
            return sighting.organisation.name
        return None


STIX_ID = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}$",
    "A STIX id, such as indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f.",
)


class SightingCreateSerializer(serializers.Serializer[Any]):
    report = serializers.UUIDField(help_text="The report whose threat was seen.")
    indicator = serializers.CharField(
        required=False,
        max_length=100,
        # The schema says what an id looks like, so a client learns it from the schema
        # rather than from a 400 (e.g. for text that is blank once trimmed).
        validators=[STIX_ID],
        help_text="STIX id of one of the report's indicators, when that was what was seen.",
    )
    kind = serializers.ChoiceField(
        choices=Sighting.Kind.choices,
        default=Sighting.Kind.SEEN,
        help_text="seen restarts the indicator's decay clock; false_positive (of an indicator "
        "only) lowers its score.",
    )
    seen_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    anonymous = serializers.BooleanField(required=False, default=False)


class FeedSerializer(serializers.ModelSerializer[Feed]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    sectors: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    trust_group: Any = serializers.SlugRelatedField(
        slug_field="uuid", read_only=True, allow_null=True
    )
    taxii_collection = serializers.SerializerMethodField(
        help_text="URL path of the feed's TAXII 2.1 collection."
    )

    class Meta:
        model = Feed
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "sectors",
            "report_types",
            "min_confidence",
            "tlp_min",
            "tlp_max",
            "trust_group",
            "taxii_collection",
        ]
        read_only_fields = fields

    def get_taxii_collection(self, feed: Feed) -> str:
        return f"/taxii2/portal/collections/{feed.uuid}/"


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    """A subscription; a webhook's signing secret is never shown here."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    feed: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "feed",
            "name",
            "scope",
            "channel",
            "email_mode",
            "webhook_url",
            "is_active",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    report: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    subscription: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "report",
            "report_version",
            "event",
            "subscription",
            "channel",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "delivered_at",
            "finished_at",
        ]
        read_only_fields = fields


@extend_schema_field({"type": "string", "maxLength": 2048, "pattern": "^[^\\u0000]*$"})
class LookupValueField(serializers.CharField):
    """One value to look up: any text but the NUL character."""


class IndicatorLookupSerializer(serializers.Serializer[Any]):
    """Values to look up, one per item, defanged or clean."""

    values = serializers.ListField(
        child=LookupValueField(max_length=2048, allow_blank=True),
        min_length=1,
        max_length=1000,
        help_text="Up to 1,000 values: IPs, networks, domains, URLs, e-mail addresses, "
        "hashes, CVE ids, ATT&CK techniques, AS numbers.",
    )


class IndicatorFactsSerializer(serializers.Serializer[Any]):
    """What the caller may know about one value, counted over reports it may read."""

    asked = serializers.CharField()
    type = serializers.CharField(help_text="Empty when the line names no indicator value.")
    value = serializers.CharField(help_text="The value as stored: refanged and normalised.")
    known = serializers.BooleanField()
    stix_id = serializers.CharField(source="facts.stix_id", default=None, allow_null=True)
    reports = serializers.IntegerField(source="facts.reports", default=0)
    reporting_organisations = serializers.IntegerField(
        source="facts.reporting_organisations", default=0
    )
    sighting_organisations = serializers.IntegerField(
        source="facts.sighting_organisations", default=0
    )
    first_seen = serializers.DateTimeField(source="facts.first_seen", default=None, allow_null=True)
    last_seen = serializers.DateTimeField(source="facts.last_seen", default=None, allow_null=True)


# --- Requests for information -----------------------------------------------------------


class RfiIndicatorSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    value = serializers.CharField()


class RfiAnswerSerializer(serializers.ModelSerializer[RfiAnswer]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation: Any = serializers.SerializerMethodField(
        help_text="Who answered; null for an anonymous answer or one given for the ISAC "
        "(except for ISAC staff and the answering organisation)."
    )
    report: Any = serializers.SerializerMethodField(
        help_text="The report this answer became, when the caller may read it."
    )

    class Meta:
        model = RfiAnswer
        fields = ["id", "body_markdown", "organisation", "anonymous", "for_isac", "report"]
        fields += ["created_at"]
        read_only_fields = fields

    def get_organisation(self, answer: RfiAnswer) -> str | None:
        if policy.can_see_answerer(self.context["viewer"], answer):
            return answer.organisation.name
        return None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_report(self, answer: RfiAnswer) -> str | None:
        report = answer.report
        if report is None or not policy.can_view(self.context["viewer"], report):
            return None
        return str(report.uuid)


class RfiSerializer(serializers.ModelSerializer[Rfi]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    asked_by: Any = serializers.SerializerMethodField(
        help_text="The asking organisation's name, or null when the ISAC is shown as asker."
    )
    indicators = RfiIndicatorSerializer(many=True, read_only=True)
    answers: Any = serializers.SerializerMethodField()
    merged_into: Any = serializers.SerializerMethodField(
        help_text="The request this one duplicates, when the caller may read it."
    )

    class Meta:
        model = Rfi
        fields = [
            "id",
            "title",
            "body_markdown",
            "tlp",
            "status",
            "asked_by",
            "due_on",
            "indicators",
            "answers",
            "merged_into",
            "closing_summary",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_asked_by(self, rfi: Rfi) -> str | None:
        if policy.can_see_asker(self.context["viewer"], rfi):
            return rfi.organisation.name
        return None

    @extend_schema_field(RfiAnswerSerializer(many=True))
    def get_answers(self, rfi: Rfi) -> list[dict[str, Any]]:
        # Prefetched by the view from policy.visible_rfi_answers.
        answers = list(rfi.answers.all())
        for answer in answers:
            answer.rfi = rfi
        return list(RfiAnswerSerializer(answers, many=True, context=self.context).data)

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_merged_into(self, rfi: Rfi) -> str | None:
        if rfi.merged_into_id is None:
            return None
        target = policy.visible_rfis(self.context["viewer"], channel=policy.Channel.API)
        uuid = target.filter(pk=rfi.merged_into_id).values_list("uuid", flat=True).first()
        return str(uuid) if uuid else None


class RfiAudienceSerializer(serializers.Serializer[Any]):
    """An audience as for reports: sector slugs, organisation and trust group ids."""

    audience_everyone = serializers.BooleanField(required=False, default=False)
    audience_sectors = serializers.ListField(
        child=serializers.SlugField(), required=False, default=list, max_length=100
    )
    audience_organisations = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=500
    )
    audience_groups = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=100
    )


class RfiCreateSerializer(RfiAudienceSerializer):
    """A question. TLP:RED questions name people and are asked in the portal."""

    # Not trimmed here: a title of spaces is the service's "Write the question." (409).
    title = serializers.CharField(max_length=300, trim_whitespace=False)
    body_markdown = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20000
    )
    tlp = serializers.ChoiceField(choices=[t for t in TLP.values if t != TLP.RED])
    anonymous = serializers.BooleanField(required=False, default=False)
    indicators_text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100000
    )
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    sensitive_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirm wording about prices, costs, bids, salaries or strategy.",
    )


class RfiAnswerCreateSerializer(serializers.Serializer[Any]):
    body_markdown = serializers.CharField(max_length=20000, trim_whitespace=False)
    anonymous = serializers.BooleanField(required=False, default=False)
    for_isac = serializers.BooleanField(
        required=False, default=False, help_text="ISAC staff: answer in the ISAC's name."
    )
    sensitive_confirmed = serializers.BooleanField(required=False, default=False)


class RfiCloseSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(max_length=10000, trim_whitespace=False)


class RfiRouteSerializer(RfiAudienceSerializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text="Needed when the new audience lets more organisations read the request.",
    )


class RfiMergeSerializer(serializers.Serializer[Any]):
    into = serializers.UUIDField(help_text="The request this one duplicates.")
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class RfiReportSerializer(serializers.Serializer[Any]):
    report = serializers.UUIDField(help_text="The draft report made of the answer.")
    edit_url = serializers.CharField(help_text="Where its author finishes and shares it.")
