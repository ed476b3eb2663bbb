"""Alert pages: an organisation's watch list (its admins), its alerts (its members), and
the acknowledgement a member gives on a report page."""

import uuid

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import member_required, org_admin_required
from accounts.http import AuthenticatedRequest, PortalRequest
from accounts.web import run_service
from sharing import policy
from sharing.alerts import services
from sharing.alerts.forms import AlertFilterForm, WatchedAssetForm
from sharing.alerts.selectors import watched_assets_of
from sharing.models import Alert
from sharing.views import report_or_404


@org_admin_required
def watchlist(request: AuthenticatedRequest) -> HttpResponse:
    organisation = request.membership.organisation
    form = WatchedAssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            request,
            lambda: services.watched_asset_add(
                organisation=organisation,
                kind=data["kind"],
                value=data["value"],
                cpe=data["cpe"],
                note=data["note"],
                by=request.membership,
            ),
            lambda asset: f"{asset.value} is on your watch list.",
            form=form,
            field="value",
        )
        if saved:
            return redirect("watchlist:watchlist")
    return render(
        request,
        "alerts/watchlist.html",
        {"organisation": organisation, "assets": watched_assets_of(organisation), "form": form},
    )


@org_admin_required
@require_POST
def watchlist_remove(request: AuthenticatedRequest, asset_uuid: uuid.UUID) -> HttpResponse:
    asset = get_object_or_404(watched_assets_of(request.membership.organisation), uuid=asset_uuid)
    run_service(
        request,
        lambda: services.watched_asset_remove(asset=asset, by=request.membership),
        f"{asset.value} is off your watch list.",
    )
    return redirect("watchlist:watchlist")


@member_required
def alert_list(request: AuthenticatedRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    alerts = (
        policy.visible_alerts(request.membership)
        .select_related("report")
        .prefetch_related("matches")
        .order_by("-created_at", "-id")
    )
    state = form.cleaned_data["state"] if form.is_valid() else ""
    if state:
        alerts = alerts.filter(state=state)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/alert_list.html",
        {"page": page, "form": form, "state": state, "states": Alert.State.choices},
    )


def _alert_or_404(request: AuthenticatedRequest, alert_uuid: uuid.UUID) -> Alert:
    alert = (
        policy.visible_alerts(request.membership)
        .select_related("report", "organisation", "handled_by")
        .filter(uuid=alert_uuid)
        .first()
    )
    if alert is None:
        raise Http404("No such alert.")
    return alert


@member_required
def alert_detail(request: AuthenticatedRequest, alert_uuid: uuid.UUID) -> HttpResponse:
    alert = _alert_or_404(request, alert_uuid)
    return render(
        request,
        "alerts/alert_detail.html",
        {
            "alert": alert,
            "report": alert.report,
            "tlp": alert.report.tlp_label,
            "matches": list(alert.matches.select_related("asset")),
            "states": Alert.State,
        },
    )


@member_required
@require_POST
def alert_state(request: AuthenticatedRequest, alert_uuid: uuid.UUID) -> HttpResponse:
    alert = _alert_or_404(request, alert_uuid)
    state = request.POST.get("state", "")
    run_service(
        request,
        lambda: services.alert_set_state(alert=alert, state=state, by=request.membership),
        "Alert updated.",
    )
    return redirect("alerts:alert-detail", alert_uuid=alert.uuid)


@require_POST
def report_acknowledge_view(request: PortalRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = request.membership
    report = report_or_404(request, report_uuid)
    if viewer is None or not policy.can_acknowledge(viewer, report):
        raise Http404("No such report.")
    # An unknown answer is refused by the service with a message that says which are known.
    impact = request.POST.get("impact", "") or None
    run_service(
        request,
        lambda: services.report_acknowledge(report=report, by=viewer, impact=impact),
        "Thank you: your organisation's answer is recorded."
        if impact
        else "Marked as read for your organisation.",
    )
    return redirect("report-detail", report_uuid=report.uuid)
