"""The full-text index also covers the pasted indicators, so a search for a domain or an
address is answered from the index (an OR with a substring match would scan every report).

PostgreSQL only; the expression must stay identical to sharing.selectors.SEARCH_DOCUMENT_SQL.
"""

from django.db import migrations

OLD = (
    "CREATE INDEX IF NOT EXISTS sharing_report_search_gin ON sharing_report USING gin "
    "(to_tsvector('english'::regconfig, title || ' ' || summary || ' ' || body_markdown))"
)
NEW = (
    "CREATE INDEX IF NOT EXISTS sharing_report_search_gin ON sharing_report USING gin "
    "(to_tsvector('english'::regconfig, title || ' ' || summary || ' ' || body_markdown "
    "|| ' ' || indicators_text))"
)
DROP = "DROP INDEX IF EXISTS sharing_report_search_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(NEW)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("sharing", "0005_sighting_indicator"),
        ("sharing", "0006_feed_trust_group"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
