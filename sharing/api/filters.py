"""Query-string filters of the sharing API (django-filter)."""

from datetime import UTC, datetime

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from sharing.lifecycle.selectors import still_valid
from sharing.models import Delivery, Report, ReportIndicator, Sighting, Submission
from sharing.selectors import search_reports


class UtcDateTimeField(IsoDateTimeField):  # type: ignore[misc]  # django-filter is untyped
    """An ISO 8601 timestamp turned into UTC, so that any offset the format allows reaches
    the database as one it accepts; beyond the calendar's ends it is clamped to them."""

    def to_python(self, value: object) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            if parsed.year < 2:
                return datetime.min.replace(tzinfo=UTC)
            return datetime.max.replace(tzinfo=UTC)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]  # django-filter is untyped
    field_class = UtcDateTimeField


@extend_schema_field({"type": "string", "pattern": "^[-a-z0-9_]+$"})
class SlugFilter(django_filters.CharFilter):  # type: ignore[misc]  # django-filter is untyped
    """A slug (a sector's, for example)."""


@extend_schema_field({"type": "string", "pattern": "^[^\\u0000]*$"})
class TextFilter(django_filters.CharFilter):  # type: ignore[misc]  # django-filter is untyped
    """Any text but the NUL character, which a form field refuses."""


class ReportFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    q = TextFilter(
        method="search",
        help_text="Words to search for, or an indicator value the report carries "
        "(defanged or clean).",
    )
    published_after = UtcDateTimeFilter(field_name="published_at", lookup_expr="gt")
    published_before = UtcDateTimeFilter(field_name="published_at", lookup_expr="lt")
    sector = SlugFilter(field_name="sectors__slug")

    class Meta:
        model = Report
        fields = ["tlp", "status", "report_type"]

    def search(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return search_reports(queryset, value.strip()[:200]) if value.strip() else queryset


class SubmissionFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    class Meta:
        model = Submission
        fields = ["status", "kind"]


class IndicatorFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    type = TextFilter(field_name="indicator__type")
    value = TextFilter(field_name="indicator__value")
    report = django_filters.UUIDFilter(field_name="report__uuid")
    seen_after = UtcDateTimeFilter(field_name="last_seen", lookup_expr="gt")
    valid = django_filters.BooleanFilter(
        method="still_valid",
        help_text="true: only indicators still valid now (not revoked, not past valid_until); "
        "false: only those no longer valid.",
    )

    class Meta:
        model = ReportIndicator
        fields = ["type", "value", "report", "seen_after", "valid"]

    def still_valid(
        self, queryset: QuerySet[ReportIndicator], name: str, value: bool | None
    ) -> QuerySet[ReportIndicator]:
        if value is None:
            return queryset
        valid = still_valid(timezone.now())
        return queryset.filter(valid) if value else queryset.exclude(valid)


class SightingFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    report = django_filters.UUIDFilter(field_name="report__uuid")

    class Meta:
        model = Sighting
        fields = ["report"]


class DeliveryFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    report = django_filters.UUIDFilter(field_name="report__uuid")
    subscription = django_filters.UUIDFilter(field_name="subscription__uuid")

    class Meta:
        model = Delivery
        fields = ["status", "channel", "event", "report", "subscription"]
