"""The decay rules page: every member reads the rules in force; ISAC admins change them."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import member_required
from accounts.http import AuthenticatedRequest
from accounts.policy import is_isac_admin
from accounts.web import run_service
from sharing.lifecycle.decay import DEFAULT_RULES
from sharing.lifecycle.selectors import rule_rows
from sharing.lifecycle.services import decay_rule_reset, decay_rule_set


class DecayRuleForm(forms.Form):
    indicator_type = forms.CharField(max_length=20, widget=forms.HiddenInput)
    lifetime_days = forms.IntegerField(label="Lifetime (days)", min_value=1, max_value=3650)
    pound = forms.FloatField(label="Pound", min_value=0.01, max_value=10)
    revoke_score = forms.IntegerField(label="Revoke below", min_value=0, max_value=99)
    base_score = forms.IntegerField(label="Base score", min_value=1, max_value=100)


@member_required
@require_http_methods(["GET", "POST"])
def decay_rules_view(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    may_change = is_isac_admin(viewer)
    if request.method == "POST":
        if not may_change:
            raise Http404("No such page.")
        if request.POST.get("reset"):
            kind = request.POST.get("indicator_type", "")
            run_service(
                request,
                lambda: decay_rule_reset(indicator_type=kind, by=viewer),
                "The default rule applies again.",
            )
            return redirect("indicator-rules")
        form = DecayRuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            outcome = run_service(
                request,
                lambda: decay_rule_set(
                    indicator_type=data["indicator_type"],
                    lifetime_days=data["lifetime_days"],
                    pound=data["pound"],
                    revoke_score=data["revoke_score"],
                    base_score=data["base_score"],
                    by=viewer,
                ),
                "Decay rule saved; indicators of this type now expire by it.",
            )
            if outcome.error is None:
                return redirect("indicator-rules")
        else:
            run_service(request, lambda: _refuse(form))
        return redirect("indicator-rules")
    rows = [
        {
            "kind": kind,
            "rule": rule,
            "changed": changed,
            "default": DEFAULT_RULES[kind],
        }
        for kind, rule, changed in rule_rows()
    ]
    return render(request, "sharing/decay_rules.html", {"rows": rows, "may_change": may_change})


def _refuse(form: DecayRuleForm) -> None:
    raise ValidationError(
        [
            f"{form.fields[name].label}: {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]
    )
