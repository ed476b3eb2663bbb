from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import SignedInRequest
from accounts.standing import is_in_good_standing
from accounts.waiting import isac_contacts, organisations_without_admin, waiting_for
from sharing.selectors import dashboard


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    membership = request.membership
    in_good_standing = membership is not None and is_in_good_standing(membership.organisation)
    # People of an organisation nobody administers are told whom at the ISAC to ask.
    without_admin = (
        membership is not None
        and not membership.organisation.is_isac
        and organisations_without_admin().filter(pk=membership.organisation_id).exists()
    )
    return render(
        request,
        "home.html",
        {
            "membership": membership,
            "in_good_standing": in_good_standing,
            "waiting": waiting_for(membership) if membership is not None else None,
            "isac_contacts": isac_contacts() if without_admin else [],
            "today": timezone.localdate(),
            **dashboard(membership),
        },
    )
