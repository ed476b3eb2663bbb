"""A stored full-text document per report, GIN-indexed, on PostgreSQL.

Replaces the expression index of 0007, which made every search parse each report's text
again (2.3 s at 20,000 reports for a query matching nearly all of them). The document is
filled here for existing reports and kept by sharing.search.report_search_refresh from then
on. SQLite gets the (empty) column and no index.
"""

import django.contrib.postgres.search
from django.db import migrations

DROP_EXPRESSION_INDEX = "DROP INDEX IF EXISTS sharing_report_search_gin"
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS sharing_report_search_document_gin "
    "ON sharing_report USING gin (search_document)"
)
DROP_INDEX = "DROP INDEX IF EXISTS sharing_report_search_document_gin"
# As sharing.search.REFRESH_ALL_SQL was when this migration was written.
FILL_DOCUMENTS = """
UPDATE sharing_report SET search_document =
setweight(to_tsvector('english'::regconfig, sharing_report.title), 'A')
|| setweight(to_tsvector('english'::regconfig, sharing_report.summary), 'B')
|| setweight(to_tsvector('english'::regconfig, coalesce((
    SELECT string_agg(indicator.value, ' ' ORDER BY indicator.value)
    FROM sharing_reportindicator AS link
    JOIN sharing_indicator AS indicator ON indicator.id = link.indicator_id
    WHERE link.report_id = sharing_report.id), '')), 'C')
|| to_tsvector('english'::regconfig,
               sharing_report.body_markdown || ' ' || sharing_report.indicators_text)
"""
OLD_EXPRESSION_INDEX = (
    "CREATE INDEX IF NOT EXISTS sharing_report_search_gin ON sharing_report USING gin "
    "(to_tsvector('english'::regconfig, title || ' ' || summary || ' ' || body_markdown "
    "|| ' ' || indicators_text))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_EXPRESSION_INDEX)
    schema_editor.execute(FILL_DOCUMENTS)
    schema_editor.execute(CREATE_INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_INDEX)
    schema_editor.execute(OLD_EXPRESSION_INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ("sharing", "0008_stix_newest_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
