"""Public pages and lists: anyone may read them, without signing in, while the feed is on;
and the ISAC admin's page that turns the feed on and off.

Every public read comes from sharing.policy's public reads; the public pages use their own
layout, which never shows who (if anyone) is signed in, so an answer is the same for every
reader and can be cached by anyone.
"""

import csv
import io
import json
import uuid

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.decorators import isac_admin_required
from accounts.http import AuthenticatedRequest
from accounts.web import run_service
from portal.markdown import render_markdown
from sharing import policy
from sharing.formats.csv import safe_cell
from sharing.formats.stix import report_bundle
from sharing.indicator_types import IndicatorType
from sharing.models import PublicFeed, Report, ReportIndicator
from sharing.public.feeds import PublicReportsAtom, PublicReportsRss, isac_name
from sharing.public.http import public_endpoint
from sharing.public.services import public_feed_set
from sharing.public.taxii import PUBLIC_COLLECTION_ID
from sharing.stix.objects import timestamp

INDEX_ENTRIES = 50

# What a firewall or blocklist can act on; `?type=` asks for any other kind by name.
BLOCKABLE_TYPES = (
    IndicatorType.IPV4,
    IndicatorType.IPV6,
    IndicatorType.CIDR,
    IndicatorType.DOMAIN,
    IndicatorType.URL,
    IndicatorType.EMAIL,
    IndicatorType.MD5,
    IndicatorType.SHA1,
    IndicatorType.SHA256,
    IndicatorType.SHA512,
)
CSV_COLUMNS = (
    "type",
    "value",
    "first_seen",
    "last_seen",
    "report_id",
    "report_title",
    "report_url",
)


def _public_report_or_404(report_uuid: uuid.UUID) -> Report:
    report = policy.public_report(uuid=report_uuid)
    if report is None:
        raise Http404("No such public report.")
    return report


@public_endpoint()
def index(request: HttpRequest) -> HttpResponse:
    reports = (
        policy.public_reports()
        .select_related("organisation")
        .order_by("-published_at", "-pk")[:INDEX_ENTRIES]
    )
    return render(
        request,
        "public/index.html",
        {
            "isac_name": isac_name(),
            "rows": [(r, policy.public_source_name(r)) for r in reports],
            "collection_id": PUBLIC_COLLECTION_ID,
            "blockable_types": [t.value for t in BLOCKABLE_TYPES],
        },
    )


@public_endpoint()
def report_page(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = _public_report_or_404(report_uuid)
    links = (
        policy.public_report_indicators()
        .filter(report=report)
        .select_related("indicator")
        .order_by("indicator__type", "indicator__value")
    )
    return render(
        request,
        "public/report.html",
        {
            "isac_name": isac_name(),
            "report": report,
            "tlp": report.tlp_label,
            "source": policy.public_source_name(report),
            "body_html": render_markdown(report.body_markdown),
            "indicators": list(links),
        },
    )


@public_endpoint()
def report_stix(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    """The report's current STIX 2.1 bundle, as members download it: the same objects the
    public TAXII collection serves for its current version."""
    report = _public_report_or_404(report_uuid)
    response = HttpResponse(
        json.dumps(report_bundle(report), indent=2),
        content_type="application/stix+json;version=2.1",
    )
    response["Content-Disposition"] = f'inline; filename="report-{report.uuid}.stix.json"'
    return response


@public_endpoint()
def atom_feed(request: HttpRequest) -> HttpResponse:
    # A feed object per request: it keeps the request to write absolute links.
    response: HttpResponse = PublicReportsAtom()(request)
    return response


@public_endpoint()
def rss_feed(request: HttpRequest) -> HttpResponse:
    response: HttpResponse = PublicReportsRss()(request)
    return response


class _BadTypes(ValueError):
    pass


def _wanted_types(request: HttpRequest) -> list[str]:
    """`?type=ipv4&type=domain` or `?type=ipv4,domain`; the blockable kinds by default."""
    asked = [t.strip() for value in request.GET.getlist("type") for t in value.split(",")]
    asked = [t for t in asked if t]
    if not asked:
        return [t.value for t in BLOCKABLE_TYPES]
    known = {t.value for t in IndicatorType}
    unknown = sorted(set(asked) - known)
    if unknown:
        raise _BadTypes(
            f"Unknown indicator type: {', '.join(unknown)}. "
            f"Known types: {', '.join(sorted(known))}."
        )
    return asked


def _listed(request: HttpRequest) -> QuerySet[ReportIndicator]:
    """Indicator links of public reports for the lists. Values on a warning list (public
    resolvers, large CDNs and the like) are left out: blocking them breaks things."""
    return policy.public_report_indicators().filter(
        indicator__type__in=_wanted_types(request), on_warning_list=""
    )


def _one_line(value: str) -> bool:
    return value.isprintable() and not any(c.isspace() and c != " " for c in value)


@public_endpoint()
def indicators_text(request: HttpRequest) -> HttpResponse:
    """One value a line, each once: what firewalls and blocklist tools read."""
    try:
        listed = _listed(request)
    except _BadTypes as bad:
        return HttpResponse(f"{bad}\n", status=400, content_type="text/plain; charset=utf-8")
    # Only the values leave the database, each once, in the order the list is read.
    values = (
        listed.order_by("indicator__type", "indicator__value")
        .values_list("indicator__type", "indicator__value")
        .distinct()
    )
    # Read whole, not through a server-side cursor: PostgreSQL plans a cursor for its first
    # rows, which made this 150 times slower (bench/public_feed.py).
    unique = dict.fromkeys(value for _, value in values)
    body = "".join(f"{value}\n" for value in unique if _one_line(value))
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@public_endpoint()
def indicators_csv(request: HttpRequest) -> HttpResponse:
    """One row per indicator and public report carrying it, with when it was first and last
    seen there and a link to the report."""
    try:
        listed = _listed(request)
    except _BadTypes as bad:
        return HttpResponse(f"{bad}\n", status=400, content_type="text/plain; charset=utf-8")
    rows = listed.order_by(
        "indicator__type", "indicator__value", "report__published_at", "pk"
    ).values_list(
        "indicator__type",
        "indicator__value",
        "first_seen",
        "last_seen",
        "report__uuid",
        "report__title",
    )
    report_url = request.build_absolute_uri(reverse("public:report", args=[uuid.UUID(int=0)]))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for kind, value, first_seen, last_seen, report_uuid, title in rows:
        writer.writerow(
            [
                kind,
                safe_cell(value),
                timestamp(first_seen),
                timestamp(last_seen),
                str(report_uuid),
                safe_cell(title),
                report_url.replace(str(uuid.UUID(int=0)), str(report_uuid)),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="public-indicators.csv"'
    return response


# --- The ISAC admin's switch ----------------------------------------------------------------


@isac_admin_required
def public_feed_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Turn the public feed on or off, and see what it publishes and where."""
    if request.method == "POST":
        enabled = request.POST.get("enabled") == "on"
        done = "The public feed is on." if enabled else "The public feed is off."
        run_service(request, lambda: public_feed_set(enabled=enabled, by=request.membership), done)
        return redirect("isac-public-feed")
    feed = PublicFeed.objects.filter(pk=1).select_related("updated_by").first()
    return render(
        request,
        "isac/public_feed.html",
        {
            "feed": feed,
            "enabled": feed is not None and feed.enabled,
            "published": policy.public_reports().count(),
            "collection_id": PUBLIC_COLLECTION_ID,
        },
    )
