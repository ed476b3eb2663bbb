"""A GIN index for full-text search over reports, on PostgreSQL only.

The indexed expression must stay identical to sharing.selectors.SEARCH_DOCUMENT_SQL so the
planner uses it. SQLite has no full-text index; the list degrades to icontains there.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS sharing_report_search_gin ON sharing_report USING gin "
    "(to_tsvector('english'::regconfig, title || ' ' || summary || ' ' || body_markdown))"
)
DROP = "DROP INDEX IF EXISTS sharing_report_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [("sharing", "0003_reports_workflow")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
