"""Where a report's indicator came from: its text, or an upload that an edit of the text must
never remove. Links of drafts made from an upload (and never re-read from a form since) are
the upload's."""

from django.db import migrations, models


def mark_uploaded(apps, schema_editor):
    ReportIndicator = apps.get_model("sharing", "ReportIndicator")
    Submission = apps.get_model("sharing", "Submission")
    uploaded = Submission.objects.exclude(kind="form").values("report_id")
    from_form = Submission.objects.filter(kind="form").values("report_id")
    ReportIndicator.objects.filter(report_id__in=uploaded).exclude(
        report_id__in=from_form
    ).update(origin="upload")


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0007_report_search_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportindicator",
            name="origin",
            field=models.CharField(
                choices=[("text", "Found in the report's text"), ("upload", "Brought by an upload")],
                default="text",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_uploaded, migrations.RunPython.noop),
    ]
