from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import SignedInRequest
from accounts.waiting import isac_contacts, standing_and_admin, waiting_for
from sharing.selectors import dashboard


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    membership = request.membership
    # People of an organisation nobody administers are told whom at the ISAC to ask.
    in_good_standing, without_admin = (
        standing_and_admin(membership.organisation) if membership is not None else (False, False)
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
