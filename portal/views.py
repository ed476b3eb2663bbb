from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.standing import is_in_good_standing
from accounts.web import acting_membership
from sharing.selectors import dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = acting_membership(request)
    in_good_standing = membership is not None and is_in_good_standing(membership.organisation)
    return render(
        request,
        "home.html",
        {
            "membership": membership,
            "in_good_standing": in_good_standing,
            **dashboard(membership),
        },
    )
