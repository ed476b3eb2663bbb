"""The report list's filters draw their selects directly (portal.widgets.FastSelect): the
HTML must be Django's own, option for option, with every value escaped."""

import pytest
from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from accounts.models import Sector
from portal.widgets import FastSelect, FastSelectMultiple

CHOICES = [
    ("", "Any <source>"),
    ('a"b', "A & B"),
    ("Group <g>", [("g1", "One"), ("g2", "Two's")]),
    (3, "Three"),
]
ATTRIBUTES = [{}, {"id": "id_source", "required": True, "disabled": False, "data-x": "<q>"}]


@pytest.mark.parametrize("value", ["", 'a"b', "g2", "3", 3, None, "not offered"])
@pytest.mark.parametrize("attrs", ATTRIBUTES)
def test_a_fast_select_is_djangos_select(value: object, attrs: dict[str, object]) -> None:
    ours = FastSelect(choices=CHOICES, attrs=attrs).render("source", value)
    assert ours == forms.Select(choices=CHOICES, attrs=attrs).render("source", value)


@pytest.mark.parametrize("value", [["g1", "3"], [], None, ['a"b']])
def test_a_fast_select_of_several_values_is_djangos(value: list[str] | None) -> None:
    for attrs in ATTRIBUTES:
        ours = FastSelectMultiple(choices=CHOICES, attrs=attrs).render("s", value)
        assert ours == forms.SelectMultiple(choices=CHOICES, attrs=attrs).render("s", value)
    assert FastSelectMultiple().value_from_datadict(
        QueryDict("s=1&s=2"), MultiValueDict(), "s"
    ) == ["1", "2"]


def test_a_fast_select_escapes_what_it_is_given() -> None:
    hostile = [('x"><script>alert(1)</script>', "<img src=x onerror=alert(1)>")]
    html = FastSelect(choices=hostile, attrs={"title": '"><b>'}).render("s", None)
    for raw in ("<script>", "<img", "<b>"):
        assert raw not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.django_db
def test_a_fast_select_of_model_choices_is_djangos(energy: Sector, finance: Sector) -> None:
    def drawn(
        widget: type[forms.Select], several: type[forms.SelectMultiple], value: object
    ) -> str:
        class Form(forms.Form):
            sector = forms.ModelChoiceField(
                queryset=Sector.objects.order_by("name"), empty_label="Any", widget=widget
            )
            sectors = forms.ModelMultipleChoiceField(
                queryset=Sector.objects.order_by("name"), widget=several
            )

        form = Form({"sector": value, "sectors": [value]})
        return f"{form['sector']}{form['sectors']}"

    for value in (energy.pk, finance.pk, ""):
        ours = drawn(FastSelect, FastSelectMultiple, value)
        assert ours == drawn(forms.Select, forms.SelectMultiple, value)
