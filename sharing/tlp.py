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


_ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]
