"""ISAC admin page: the editable list of sectors."""

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.decorators import client_ip, isac_admin_required
from accounts.forms.members import SectorForm
from accounts.http import AuthenticatedRequest
from accounts.models import Sector
from accounts.services import sectors
from accounts.web import run_service


@isac_admin_required
def sector_list(request: AuthenticatedRequest) -> HttpResponse:
    """The editable list of sectors (seeded with the 16 US critical-infrastructure sectors)."""
    editing = None
    if request.GET.get("edit"):
        editing = Sector.objects.filter(slug=request.GET["edit"]).first()
    initial = {"name": editing.name, "description": editing.description} if editing else None
    form = SectorForm(request.POST or None, initial=initial)
    if request.method == "POST":
        editing = Sector.objects.filter(slug=request.POST.get("slug", "")).first()
        if form.is_valid():
            saved = run_service(
                request,
                lambda: sectors.sector_save(
                    by=request.membership,
                    sector=editing,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    ip_address=client_ip(request),
                ),
                lambda sector: f"Sector “{sector.name}” saved.",
                form=form,
            )
            if saved:
                return redirect("isac-sectors")
    rows = Sector.objects.annotate(members=Count("organisations"))
    return render(
        request,
        "isac/sectors.html",
        {"sectors": rows, "form": form, "editing": editing},
    )
