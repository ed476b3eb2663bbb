from django import forms

from sharing.models import Alert, WatchedAsset


class WatchedAssetForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=WatchedAsset.Kind.choices)
    value = forms.CharField(
        label="Value",
        max_length=255,
        required=False,
        help_text=(
            "A domain (example.com, its subdomains included), an IP range in CIDR "
            "(203.0.113.0/24, 2001:db8::/32), an AS number (AS64500), a brand name, or a "
            "product's name (Fortinet FortiOS)."
        ),
    )
    cpe = forms.CharField(
        label="CPE (products only, where known)",
        max_length=255,
        required=False,
        help_text="cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
    )
    note = forms.CharField(label="Note", max_length=200, required=False)


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State", choices=[("", "Any"), *Alert.State.choices], required=False
    )
