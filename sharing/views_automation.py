"""The organisation's publishing defaults: the audience of uploads its automation publishes
(tokens that may publish). Org admins change them; the organisation's people read them."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import member_required
from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken
from accounts.policy import administers
from accounts.web import run_service
from sharing import services
from sharing.attribution import attribution_default, review_required
from sharing.forms import PublishingDefaultsForm
from sharing.models import PublishingDefaults


@member_required
@require_http_methods(["GET", "POST"])
def publishing_defaults_view(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    organisation = viewer.organisation
    if organisation.is_isac:
        raise Http404("The ISAC publishes through curation.")
    defaults = PublishingDefaults.objects.filter(organisation=organisation).first()
    initial = {
        "audience_everyone": defaults.audience_everyone if defaults else False,
        "audience_sectors": list(defaults.audience_sectors.all()) if defaults else [],
        "audience_groups": list(defaults.audience_groups.all()) if defaults else [],
    }
    may_change = administers(viewer, organisation.pk)
    form = PublishingDefaultsForm(
        request.POST if request.method == "POST" else None, initial=initial, viewer=viewer
    )
    if request.method == "POST":
        if not may_change:
            raise Http404("No such page.")
        if form.is_valid():
            data = form.cleaned_data
            saved = run_service(
                request,
                lambda: services.publishing_defaults_set(
                    organisation=organisation,
                    by=viewer,
                    everyone=data["audience_everyone"],
                    sectors=list(data["audience_sectors"]),
                    groups=list(data["audience_groups"]),
                ),
                "Publishing defaults saved.",
            )
            if saved:
                return redirect("publishing-defaults")
    publishing_tokens = ApiToken.objects.filter(
        membership__organisation=organisation, may_publish=True, revoked_at__isnull=True
    ).select_related("membership__user")
    return render(
        request,
        "sharing/publishing_defaults.html",
        {
            "form": form,
            "defaults": defaults,
            "may_change": may_change,
            "attributed": attribution_default(organisation),
            "review_required": review_required(organisation),
            "publishing_tokens": publishing_tokens,
        },
    )
