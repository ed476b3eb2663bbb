"""ISAC admin pages: agreement versions and who accepted them, sectors, the audit log."""

import csv
import uuid
from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import client_ip, isac_admin_required
from accounts.forms.members import AgreementVersionForm, AuditFilterForm, SectorForm
from accounts.models import AgreementVersion, AuditEvent, Sector
from accounts.services import agreements, sectors
from accounts.standing import current_agreement_version
from accounts.views.isac.organisations import csv_cell
from accounts.web import error_text
from portal.markdown import render_markdown


@isac_admin_required
def sector_list(request: HttpRequest) -> HttpResponse:
    """The editable list of sectors (seeded with the 16 US critical-infrastructure sectors)."""
    editing = None
    if request.GET.get("edit"):
        editing = Sector.objects.filter(slug=request.GET["edit"]).first()
    initial = {"name": editing.name, "description": editing.description} if editing else None
    form = SectorForm(request.POST or None, initial=initial)
    if request.method == "POST":
        editing = Sector.objects.filter(slug=request.POST.get("slug", "")).first()
        if form.is_valid():
            try:
                sector = sectors.sector_save(
                    by=request.user,  # type: ignore[arg-type]
                    sector=editing,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    ip_address=client_ip(request),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Sector “{sector.name}” saved.")
                return redirect("isac-sectors")
    rows = Sector.objects.annotate(members=Count("organisations"))
    return render(
        request,
        "isac/sectors.html",
        {"sectors": rows, "form": form, "editing": editing},
    )


# --- Agreement versions ---------------------------------------------------------------


@isac_admin_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    versions = AgreementVersion.objects.select_related("published_by").annotate(
        accepted=Count("acceptances", distinct=True),
        in_force=Count(
            "acceptances",
            filter=Q(acceptances__revoked_at__isnull=True, acceptances__expires_at__gt=now),
            distinct=True,
        ),
    )
    return render(
        request,
        "isac/agreement_list.html",
        {"versions": versions, "current": current_agreement_version()},
    )


@isac_admin_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    current = current_agreement_version()
    if current is not None:
        # A new version usually starts from the text in force.
        initial = AgreementVersionForm.initial_from(current)
        initial["version_label"] = ""
        initial["effective_date"] = timezone.localdate()
    form = AgreementVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = agreements.agreement_version_create(
                by=request.user,  # type: ignore[arg-type]
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Draft {version.version_label} saved.")
            return redirect("isac-agreement", version_uuid=version.uuid)
    return render(request, "isac/agreement_form.html", {"form": form, "version": None})


@isac_admin_required
def agreement_edit(request: HttpRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(AgreementVersion, uuid=version_uuid)
    if version.is_published:
        messages.error(request, "A published version cannot be changed; write a new version.")
        return redirect("isac-agreement", version_uuid=version.uuid)
    form = AgreementVersionForm(
        request.POST or None, initial=AgreementVersionForm.initial_from(version)
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreements.agreement_version_update(
                version=version,
                by=request.user,  # type: ignore[arg-type]
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect("isac-agreement", version_uuid=version.uuid)
    return render(request, "isac/agreement_form.html", {"form": form, "version": version})


@isac_admin_required
def agreement_detail(request: HttpRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(
        AgreementVersion.objects.select_related("published_by"), uuid=version_uuid
    )
    acceptances = version.acceptances.select_related("organisation", "accepted_by", "revoked_by")
    if request.GET.get("format") == "csv":
        return _acceptances_csv(version, acceptances)
    return render(
        request,
        "isac/agreement_detail.html",
        {
            "version": version,
            "body_html": render_markdown(version.body_markdown),
            "acceptances": acceptances,
            "current": current_agreement_version(),
            "now": timezone.now(),
        },
    )


def _acceptances_csv(version: AgreementVersion, acceptances: object) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="acceptances-{version.version_label}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "organisation_id",
            "organisation",
            "accepted_by",
            "typed_full_name",
            "accepted_at",
            "ip_address",
            "text_sha256",
            "expires_at",
            "revoked_at",
            "revoke_reason",
        ]
    )
    for a in acceptances:  # type: ignore[attr-defined]
        writer.writerow(
            [
                a.organisation.uuid,
                csv_cell(a.organisation.name),
                a.accepted_by.email,
                csv_cell(a.typed_full_name),
                a.accepted_at.isoformat(),
                a.ip_address or "",
                a.text_sha256,
                a.expires_at.isoformat(),
                a.revoked_at.isoformat() if a.revoked_at else "",
                csv_cell(a.revoke_reason),
            ]
        )
    return response


@isac_admin_required
@require_POST
def agreement_publish(request: HttpRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(AgreementVersion, uuid=version_uuid)
    try:
        agreements.agreement_version_publish(
            version=version,
            by=request.user,  # type: ignore[arg-type]
            ip_address=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            f"Version {version.version_label} published; it is in force from "
            f"{version.effective_date:%Y-%m-%d} and members must accept it.",
        )
    return redirect("isac-agreement", version_uuid=version.uuid)


@isac_admin_required
@require_POST
def agreement_delete(request: HttpRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(AgreementVersion, uuid=version_uuid)
    try:
        agreements.agreement_version_delete(
            version=version,
            by=request.user,  # type: ignore[arg-type]
            ip_address=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("isac-agreement", version_uuid=version.uuid)
    messages.success(request, "Draft deleted.")
    return redirect("isac-agreements")


# --- Audit log ------------------------------------------------------------------------


@isac_admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
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
