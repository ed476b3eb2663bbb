"""Form widgets drawn without a template per option.

Django draws a select's every option through two templates (the option and its
attributes); on the report list's filters that was a tenth of the page, and it grows with
the options: an ISAC of a few hundred members offers a few hundred sources. `FastSelect`
and `FastSelectMultiple` write the same HTML as `forms.Select` and `forms.SelectMultiple`
directly (tests/test_widgets.py compares them).
"""

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict[str, Any]) -> SafeString:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    parts = (
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    )
    return mark_safe("".join(parts))  # noqa: S308 -- each part is format_html's


class _DrawnDirectly(forms.Select):
    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], _attributes(widget["attrs"]))
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    option["value"],
                    _attributes(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 -- every value above went through format_html


class FastSelect(_DrawnDirectly):
    pass


class FastSelectMultiple(_DrawnDirectly, forms.SelectMultiple):
    pass
