"""Browser forms for requests for information. They only parse; rules live in services."""

from typing import Any

from django import forms

from accounts.models import Membership
from sharing.forms import AudienceForm
from sharing.models import Rfi
from sharing.rfi.services import RfiQuestion

SENSITIVE_HELP = (
    "Tick only if the text names prices, costs, bids, salaries or strategy and you are sure "
    "it is fit to share."
)


class RfiForm(AudienceForm):
    """The question, its label and audience, as for a report."""

    title = forms.CharField(label="Question", max_length=300)
    body_markdown = forms.CharField(
        label="Details",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown. Personal data is removed before the question is shared.",
    )
    indicators_text = forms.CharField(
        label="Indicators",
        required=False,
        max_length=100000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
        help_text="Optional: addresses, domains, URLs, hashes, defanged or not.",
    )
    due_on = forms.DateField(
        label="Answer needed by",
        required=False,
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
    )
    anonymous = forms.BooleanField(
        label="Ask anonymously",
        required=False,
        help_text="Members see the ISAC as the asker; only ISAC staff see your organisation.",
    )
    sensitive_confirmed = forms.BooleanField(
        label="The wording is fit to share", required=False, help_text=SENSITIVE_HELP
    )

    def __init__(self, *args: Any, viewer: Membership, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["tlp"].required = True

    def question(self) -> RfiQuestion:
        data = self.cleaned_data
        return RfiQuestion(
            title=data["title"],
            body_markdown=data["body_markdown"],
            tlp=data["tlp"],
            anonymous=data["anonymous"],
            indicators_text=data["indicators_text"],
            due_on=data["due_on"],
            audience_everyone=data["audience_everyone"],
            audience_sectors=list(data["audience_sectors"]),
            audience_organisations=list(data["audience_organisations"]),
            audience_groups=list(data["audience_groups"]),
            audience_people=self.named_people(),
        )


class RfiRouteForm(AudienceForm):
    """An analyst's new audience for an RFI; its label stays the asker's."""

    reason = forms.CharField(
        label="Why (needed when more people may read it; recorded)",
        required=False,
        max_length=1000,
    )

    @staticmethod
    def initial_for(rfi: Rfi) -> dict[str, Any]:
        return {
            "audience_everyone": rfi.audience_everyone,
            "audience_sectors": list(rfi.audience_sectors.all()),
            "audience_organisations": list(rfi.audience_organisations.all()),
            "audience_groups": list(rfi.audience_groups.all()),
            "audience_people": list(rfi.audience_people.all()),
        }


class RfiAnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer", max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )
    anonymous = forms.BooleanField(
        label="Answer anonymously",
        required=False,
        help_text="Members see an anonymous member; ISAC staff see your organisation.",
    )
    for_isac = forms.BooleanField(label="Answer for the ISAC", required=False)
    sensitive_confirmed = forms.BooleanField(
        label="The wording is fit to share", required=False, help_text=SENSITIVE_HELP
    )


class RfiCloseForm(forms.Form):
    summary = forms.CharField(
        label="Summary", max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RfiMergeForm(forms.Form):
    into = forms.UUIDField(label="Duplicate of (the other request's identifier)")
    summary = forms.CharField(label="Note", required=False, max_length=10000)


class RfiListForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All"), *Rfi.Status.choices], required=False)
    q = forms.CharField(label="Search", required=False, max_length=200)
