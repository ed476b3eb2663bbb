"""On PostgreSQL the database itself keeps the audit log append-only: rows cannot be deleted,
and an update may only clear a reference to a deleted person or organisation."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit log is append-only: rows cannot be deleted';
    END IF;
    IF NEW.uuid IS DISTINCT FROM OLD.uuid
        OR NEW.at IS DISTINCT FROM OLD.at
        OR NEW.action IS DISTINCT FROM OLD.action
        OR NEW.object_type IS DISTINCT FROM OLD.object_type
        OR NEW.object_id IS DISTINCT FROM OLD.object_id
        OR NEW.object_repr IS DISTINCT FROM OLD.object_repr
        OR NEW.ip_address IS DISTINCT FROM OLD.ip_address
        OR NEW.before::text IS DISTINCT FROM OLD.before::text
        OR NEW.after::text IS DISTINCT FROM OLD.after::text
        OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
        OR (NEW.actor_organisation_id IS NOT NULL
            AND NEW.actor_organisation_id IS DISTINCT FROM OLD.actor_organisation_id)
        OR (NEW.organisation_id IS NOT NULL
            AND NEW.organisation_id IS DISTINCT FROM OLD.organisation_id)
    THEN
        RAISE EXCEPTION 'the audit log is append-only: rows cannot be changed';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
DROP FUNCTION IF EXISTS accounts_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_members_invitations"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
