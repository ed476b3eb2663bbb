"""Traffic Light Protocol 2.0 (FIRST) labels, in order from widest to narrowest audience.

Who may see what under each label is decided by sharing.policy; this module only names
the labels and orders them.
"""

from django.db import models


class TLP(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @property
    def rank(self) -> int:
        """0 for CLEAR up to 4 for RED: a higher rank is a narrower audience."""
        return _ORDER.index(self)

    @property
    def css_class(self) -> str:
        return "tlp-" + self.value.replace("+", "-")

    @property
    def wording(self) -> str:
        """FIRST's one-line definition of the label, shown in the banner on every report."""
        return _WORDING[self]


_ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]

# FIRST, Traffic Light Protocol (TLP) version 2.0, definitions in short.
_WORDING = {
    TLP.CLEAR: "Recipients can spread this to the world, there is no limit on disclosure.",
    TLP.GREEN: "Limited disclosure, recipients can spread this within their community.",
    TLP.AMBER: (
        "Limited disclosure, recipients can only spread this on a need-to-know basis within "
        "their organization and its clients."
    ),
    TLP.AMBER_STRICT: (
        "Limited disclosure, recipients can only spread this on a need-to-know basis within "
        "their organization only."
    ),
    TLP.RED: "For the eyes and ears of individual recipients only, no further disclosure.",
}
