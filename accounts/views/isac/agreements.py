"""ISAC admin pages: agreement versions and who accepted them."""

import csv
import uuid

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import client_ip, isac_admin_required
from accounts.forms.members import AgreementVersionForm
from accounts.http import AuthenticatedRequest
from accounts.models import AgreementVersion
from accounts.services import agreements
from accounts.standing import current_agreement_version
from accounts.views.isac.organisations import csv_cell
from accounts.web import run_service
from portal.markdown import render_markdown


@isac_admin_required
def agreement_list(request: AuthenticatedRequest) -> HttpResponse:
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
def agreement_create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {}
    current = current_agreement_version()
    if current is not None:
        # A new version usually starts from the text in force.
        initial = AgreementVersionForm.initial_from(current)
        initial["version_label"] = ""
        initial["effective_date"] = timezone.localdate()
    form = AgreementVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            request,
            lambda: agreements.agreement_version_create(
                by=request.membership, ip_address=client_ip(request), **form.cleaned_data
            ),
            lambda version: f"Draft {version.version_label} saved.",
            form=form,
        )
        if created:
            return redirect("isac-agreement", version_uuid=created.value.uuid)
    return render(request, "isac/agreement_form.html", {"form": form, "version": None})


@isac_admin_required
def agreement_edit(request: AuthenticatedRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(AgreementVersion, uuid=version_uuid)
    if version.is_published:
        messages.error(request, "A published version cannot be changed; write a new version.")
        return redirect("isac-agreement", version_uuid=version.uuid)
    form = AgreementVersionForm(
        request.POST or None, initial=AgreementVersionForm.initial_from(version)
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            lambda: agreements.agreement_version_update(
                version=version,
                by=request.membership,
                ip_address=client_ip(request),
                **form.cleaned_data,
            ),
            "Draft saved.",
            form=form,
        )
        if saved:
            return redirect("isac-agreement", version_uuid=version.uuid)
    return render(request, "isac/agreement_form.html", {"form": form, "version": version})


@isac_admin_required
def agreement_detail(request: AuthenticatedRequest, version_uuid: uuid.UUID) -> HttpResponse:
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
def agreement_publish(request: AuthenticatedRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(AgreementVersion, uuid=version_uuid)
    run_service(
        request,
        lambda: agreements.agreement_version_publish(
            version=version, by=request.membership, ip_address=client_ip(request)
        ),
        f"Version {version.version_label} published; it is in force from "
        f"{version.effective_date:%Y-%m-%d} and members must accept it.",
    )
    return redirect("isac-agreement", version_uuid=version.uuid)


@isac_admin_required
@require_POST
def agreement_delete(request: AuthenticatedRequest, version_uuid: uuid.UUID) -> HttpResponse:
    version = get_object_or_404(AgreementVersion, uuid=version_uuid)
    saved = run_service(
        request,
        lambda: agreements.agreement_version_delete(
            version=version, by=request.membership, ip_address=client_ip(request)
        ),
        "Draft deleted.",
    )
    if saved:
        return redirect("isac-agreements")
    return redirect("isac-agreement", version_uuid=version.uuid)
