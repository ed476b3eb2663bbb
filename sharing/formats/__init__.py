"""Output formats: one module per format, registered in `FORMATS`.

STIX 2.1 bundles (what webhooks carry and TAXII serves) and indicator CSV files sit side
by side here; a MISP event (and, from the same module, the MISP feeds in sharing/misp/) is one
module and one line below; a new format likewise, and gets
its download link and URL from this table.
"""

from sharing.formats.base import Export, ReportFormat
from sharing.formats.csv import IndicatorCsv
from sharing.formats.misp import MispEvent
from sharing.formats.stix import StixBundle

FORMATS: dict[str, ReportFormat] = {
    fmt.identifier: fmt
    for fmt in (
        StixBundle(),
        IndicatorCsv(),
        MispEvent(),
    )
}

__all__ = ["FORMATS", "Export", "ReportFormat"]
