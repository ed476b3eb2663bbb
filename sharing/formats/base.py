"""What an output format is: a named way to write a report out for another tool."""

from dataclasses import dataclass
from typing import ClassVar

from sharing.models import Report


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


class ReportFormat:
    """One output format of a report. `export` writes what the report holds; whether the
    reader may have it is the caller's business (the policy, before calling)."""

    identifier: ClassVar[str]  # in URLs and names: /reports/<uuid>/<identifier>/
    label: ClassVar[str]  # on buttons: "Download <label>"

    def export(self, report: Report, *, include_expired: bool = False) -> Export:
        """`include_expired`: also indicators no longer valid (revoked or past valid_until),
        which block-list style formats leave out by default."""
        raise NotImplementedError
