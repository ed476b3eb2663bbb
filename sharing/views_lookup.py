"""Looking indicators up by value: "have we seen 45.9.148.203?", one value or a pasted list.

Every answer is read through the access policy (sharing.selectors over sharing.policy), so
a value carried only by reports the viewer cannot read is, for them, unknown.
"""

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import member_required
from accounts.http import AuthenticatedRequest, SignedInRequest
from accounts.web import run_service
from sharing import policy
from sharing.lifecycle.selectors import Lifecycle, lifecycle_of, rules_in_force
from sharing.lifecycle.services import indicator_expire, may_expire_for_everyone
from sharing.models import IndicatorExpiry, ReportIndicator
from sharing.selectors import (
    BULK_LOOKUP_LIMIT,
    indicator_facts,
    indicator_lookup,
    indicator_reports,
    indicator_sightings,
    indicator_values_in,
    revealed_source,
)


@login_required
@require_http_methods(["GET"])
def indicator_lookup_view(request: SignedInRequest) -> HttpResponse:
    viewer = request.membership
    asked = request.GET.get("q", "").strip()[:2048]
    named = indicator_values_in(asked)[:1] if asked else []
    context: dict[str, object] = {"asked": asked, "named": bool(named)}
    if named:
        kind, value = named[0]
        links = list(
            indicator_reports(viewer, kind=kind, value=value).annotate(
                flags=Count("expiries", filter=Q(expiries__kind=IndicatorExpiry.Kind.FLAGGED))
            )[:200]
        )
        sightings = list(indicator_sightings(viewer, kind=kind, value=value)[:200])
        rules, now = rules_in_force(), timezone.now()
        context.update(
            kind=kind,
            value=value,
            facts=indicator_facts(viewer, [(kind, value)]).get((kind, value)),
            rows=[
                LookupRow(
                    link=link,
                    source=revealed_source(viewer, link.report),
                    lifecycle=lifecycle_of(link, kind=kind, rules=rules, now=now),
                    ends_for_everyone=may_expire_for_everyone(viewer, link.report),
                    may_mark=policy.can_interact(viewer, link.report),
                )
                for link in links
            ],
            rule=rules.get(kind),
            sightings=[(s, policy.can_see_sighter(viewer, s)) for s in sightings],
        )
    return render(request, "sharing/indicator_lookup.html", context)


@dataclass(frozen=True, slots=True)
class LookupRow:
    link: ReportIndicator
    source: str
    lifecycle: Lifecycle
    ends_for_everyone: bool
    may_mark: bool


@member_required
@require_POST
def indicator_expire_view(request: AuthenticatedRequest) -> HttpResponse:
    """Mark an indicator (as one report shares it) no longer valid, from the indicator page."""
    viewer = request.membership
    try:
        report_uuid = uuid.UUID(request.POST.get("report", ""))
    except ValueError:
        raise Http404("No such indicator.") from None
    link = (
        policy.visible_report_indicators(viewer)
        .filter(report__uuid=report_uuid, indicator__stix_id=request.POST.get("indicator", ""))
        .select_related("indicator", "report")
        .first()
    )
    if link is None:
        raise Http404("No such indicator.")
    run_service(
        request,
        lambda: indicator_expire(link=link, reason=request.POST.get("reason", ""), by=viewer),
        lambda expiry: (
            "It no longer counts as valid, for everyone."
            if expiry.kind == IndicatorExpiry.Kind.EXPIRED
            else "Your flag is counted; the reporting organisation and ISAC staff decide."
        ),
    )
    return redirect(reverse("indicator-lookup") + "?" + urlencode({"q": link.indicator.value}))


@login_required
@require_http_methods(["GET", "POST"])
def indicator_bulk_lookup_view(request: SignedInRequest) -> HttpResponse:
    viewer = request.membership
    pasted = request.POST.get("values", "") if request.method == "POST" else ""
    lines = [line for line in pasted.splitlines() if line.strip()]
    too_many = len(lines) > BULK_LOOKUP_LIMIT
    answers = indicator_lookup(viewer, lines) if lines and not too_many else []
    return render(
        request,
        "sharing/indicator_bulk_lookup.html",
        {
            "pasted": pasted,
            "answers": answers,
            "known": sum(1 for answer in answers if answer.known),
            "limit": BULK_LOOKUP_LIMIT,
            "too_many": len(lines) if too_many else 0,
        },
        status=400 if too_many else 200,
    )
