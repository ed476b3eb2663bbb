"""The ISAC's per-member table as CSV: every organisation's contribution and value."""

import csv
import io

from sharing.formats.csv import safe_cell
from sharing.insights.selectors import member_table


def member_table_csv() -> str:
    kinds, members = member_table()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "organisation",
            "status",
            "in good standing",
            *[kind.label.lower() for kind in kinds],
            "given (index units)",
            "received (index units)",
            "reciprocity index",
        ]
    )
    for row in members:
        writer.writerow(
            [
                safe_cell(row.organisation.name),
                row.organisation.status,
                "yes" if row.in_good_standing else "no",
                *[f"{value:.0f}" for value in row.values(kinds)],
                f"{row.given_units:.0f}",
                f"{row.received_units:.0f}",
                "" if row.index is None else f"{row.index:.2f}",
            ]
        )
    return out.getvalue()
