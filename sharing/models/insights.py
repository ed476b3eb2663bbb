"""Figures for the dashboards: first reads of reports per organisation, and the rows the
periodic refresh (sharing.insights.refresh) writes so that a dashboard is a few indexed reads.
"""

from django.db import models
from django.utils import timezone


class ReportRead(models.Model):
    """The first time anyone of an organisation opened a report's page.

    One row per organisation and report, never more, so a reader's later visits cost one
    `INSERT ... ON CONFLICT DO NOTHING` and the table stays as small as the reach it measures.
    Only who read (an organisation, counted, never named to the source) is kept.
    """

    report = models.ForeignKey("sharing.Report", on_delete=models.CASCADE, related_name="reads")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="report_reads"
    )
    first_read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "organisation"], name="one_first_read_per_organisation"
            )
        ]
        indexes = [models.Index(fields=["organisation", "first_read_at"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} first read {self.report_id}"


class InsightFigure(models.Model):
    """One pre-computed number of a dashboard: a figure, for one period, under one key.

    `organisation` set: one of that organisation's own figures (a contribution or value kind
    of sharing.insights.kinds, or a breakdown such as reports received by TLP), counted over
    what every person of the organisation may read. `organisation` empty: an ISAC-wide
    activity figure, counted over what ISAC staff may read. Rows are replaced as a whole by
    each refresh; see docs/tlp.md ("Dashboards") for what is counted.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="insight_figures",
    )
    figure = models.CharField(max_length=60)
    # The first day of the month or week counted; the refresh day for figures over a window.
    period = models.DateField()
    # A breakdown's label value: a TLP, a sector name, a report type, a channel, an indicator.
    key = models.CharField(max_length=300, blank=True)
    value = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "figure", "period"])]

    def __str__(self) -> str:
        return f"{self.figure} {self.period} {self.key}: {self.value}"
