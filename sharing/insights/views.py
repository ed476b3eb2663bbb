"""Dashboard pages: a member's own figures, the ISAC's view of its membership, its CSV.

The figures change only when the refresh counts them again, so what is drawn from them (the
charts and their tables) is rendered once per refresh and kept in the cache, keyed by the
time they were counted; membership health and anything about the viewer are read live.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import isac_admin_required, member_required
from accounts.http import AuthenticatedRequest
from portal.kept import kept_fragment
from sharing import policy
from sharing.insights.export import member_table_csv
from sharing.insights.selectors import (
    activity_charts,
    computed_at,
    member_dashboard,
    staff_dashboard,
)

# Kept a day at most; a refresh changes the key long before.
FRAGMENT_SECONDS = 24 * 3600


@member_required
@require_GET
def member_figures(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    organisation = viewer.organisation
    # Figures count more than TLP:CLEAR: shown only while the organisation may read more.
    shown = not organisation.is_isac and policy.can_post(viewer)
    body = None
    if shown:
        counted = computed_at(organisation)
        key = (
            f"insights:member:{organisation.pk}:{timezone.localdate().isoformat()}:"
            f"{counted.timestamp() if counted else 0}"
        )
        body = kept_fragment(
            key,
            lambda: render_to_string(
                "insights/_member_body.html",
                {"dashboard": member_dashboard(viewer)},
                request=request,
            ),
            FRAGMENT_SECONDS,
        )
    return render(
        request,
        "insights/member.html",
        {"organisation": organisation, "shown": shown, "body": body},
    )


@isac_admin_required
@require_GET
def isac_figures(request: AuthenticatedRequest) -> HttpResponse:
    dashboard = staff_dashboard(request.membership)
    counted = dashboard.computed_at
    key = (
        f"insights:isac:{timezone.localdate().isoformat()}:{counted.timestamp() if counted else 0}"
    )
    activity = kept_fragment(
        key,
        lambda: render_to_string(
            "insights/_isac_activity.html", {"charts": activity_charts()}, request=request
        ),
        FRAGMENT_SECONDS,
    )
    return render(request, "insights/isac.html", {"dashboard": dashboard, "activity": activity})


@isac_admin_required
@require_GET
def isac_members_csv(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(member_table_csv(), content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="members-contribution-{day}.csv"'
    return response
