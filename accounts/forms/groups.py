"""Forms of the trust group pages. Each names its fields explicitly, so a posted `owner`,
`kind` or `sector` is ignored rather than assigned."""

from django import forms

from accounts.models import Organisation, User
from accounts.models.groups import TrustGroup


class GroupForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    class Meta:
        model = TrustGroup
        fields = ["name", "description", "join_policy", "members_visible"]
        labels = {"members_visible": "Members can see who else is in the group"}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class InviteForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), to_field_name="uuid", empty_label="Choose…"
    )
    message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, group: TrustGroup, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Organisation.objects.filter(status=Organisation.Status.ACTIVE, is_isac=False)
            .exclude(group_memberships__group=group)
            .order_by("name")
        )


class RequestForm(forms.Form):
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: tell the group who you are and why you would like to join.",
    )


class MemberChoiceForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), to_field_name="uuid", empty_label="Choose…"
    )

    def __init__(
        self, *args: object, group: TrustGroup, exclude_owner: bool = False, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        members = Organisation.objects.filter(group_memberships__group=group)
        field.queryset = members.exclude(pk=group.owner_id) if exclude_owner else members


class ModeratorForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=User.objects.none(), to_field_name="uuid", empty_label="Choose…"
    )

    def __init__(self, *args: object, group: TrustGroup, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(
                is_active=True,
                memberships__is_active=True,
                memberships__organisation__group_memberships__group=group,
            )
            .exclude(moderated_groups=group)
            .distinct()
            .order_by("email")
        )
