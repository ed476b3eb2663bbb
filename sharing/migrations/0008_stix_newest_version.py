"""Which stored STIX versions are the newest of their id, so a TAXII page need not ask.

Existing rows are filled in from the data: one head per STIX id with its newest `modified`,
and `is_newest` on the versions that carry it. The SQL is the same on PostgreSQL and SQLite.
"""

from django.db import migrations, models

FILL_HEADS = (
    "INSERT INTO sharing_stixversionhead (stix_id, modified) "
    "SELECT stix_id, MAX(modified) FROM sharing_stixobject GROUP BY stix_id"
)
MARK_NEWEST = (
    "UPDATE sharing_stixobject SET is_newest = TRUE WHERE modified = "
    "(SELECT h.modified FROM sharing_stixversionhead h "
    "WHERE h.stix_id = sharing_stixobject.stix_id)"
)


class Migration(migrations.Migration):

    dependencies = [
        ('sharing', '0007_report_search_document'),
    ]

    operations = [
        migrations.CreateModel(
            name='StixVersionHead',
            fields=[
                ('stix_id', models.CharField(max_length=100, primary_key=True, serialize=False)),
                ('modified', models.DateTimeField()),
            ],
        ),
        migrations.AddField(
            model_name='stixobject',
            name='is_newest',
            field=models.BooleanField(default=False),
        ),
        migrations.RunSQL([FILL_HEADS, MARK_NEWEST], migrations.RunSQL.noop, elidable=True),
    ]
