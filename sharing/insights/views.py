"""Dashboard pages: a member's own figures, the ISAC's view of its membership, its CSV."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import isac_admin_required, member_required
from accounts.http import AuthenticatedRequest
from sharing.insights.export import member_table_csv
from sharing.insights.selectors import member_dashboard, staff_dashboard


@member_required
@require_GET
def member_figures(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    dashboard = None if viewer.organisation.is_isac else member_dashboard(viewer)
    return render(request, "insights/member.html", {"dashboard": dashboard})


@isac_admin_required
@require_GET
def isac_figures(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "insights/isac.html", {"dashboard": staff_dashboard(request.membership)})


@isac_admin_required
@require_GET
def isac_members_csv(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(member_table_csv(), content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="members-contribution-{day}.csv"'
    return response
