"""Looking indicators up by value: "have we seen 45.9.148.203?", one value or a pasted list.

Every answer is read through the access policy (sharing.selectors over sharing.policy), so
a value carried only by reports the viewer cannot read is, for them, unknown.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.http import SignedInRequest
from sharing import policy
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
        links = list(indicator_reports(viewer, kind=kind, value=value)[:200])
        sightings = list(indicator_sightings(viewer, kind=kind, value=value)[:200])
        context.update(
            kind=kind,
            value=value,
            facts=indicator_facts(viewer, [(kind, value)]).get((kind, value)),
            rows=[(link, revealed_source(viewer, link.report)) for link in links],
            sightings=[(s, policy.can_see_sighter(viewer, s)) for s in sightings],
        )
    return render(request, "sharing/indicator_lookup.html", context)


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
