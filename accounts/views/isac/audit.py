"""ISAC admin page: the audit log, filtered and paged."""

from datetime import datetime, time

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import isac_admin_required
from accounts.forms.members import AuditFilterForm
from accounts.http import AuthenticatedRequest
from accounts.models import AuditEvent


@isac_admin_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor", "organisation", "actor_organisation")
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    if data.get("action"):
        events = events.filter(action__startswith=data["action"].strip())
    if data.get("organisation"):
        events = events.filter(organisation=data["organisation"])
    if data.get("actor"):
        events = events.filter(actor__email__iexact=data["actor"].strip())
    tz = timezone.get_current_timezone()
    if data.get("since"):
        events = events.filter(at__gte=datetime.combine(data["since"], time.min, tzinfo=tz))
    if data.get("until"):
        events = events.filter(at__lte=datetime.combine(data["until"], time.max, tzinfo=tz))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "isac/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
