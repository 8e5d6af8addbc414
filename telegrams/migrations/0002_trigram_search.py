from django.db import migrations

# Chinese titles have no word boundaries: trigram GIN indexes serve icontains ('%词%') on PostgreSQL.
PG_UP = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS telegram_title_trgm ON telegrams_telegram USING gin (upper(title) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS telegram_receipt_trgm ON telegrams_telegram USING gin (upper(receipt_no) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS telegram_docno_trgm ON telegrams_telegram USING gin (upper(sender_doc_no) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS telegram_sender_trgm ON telegrams_telegram USING gin (upper(sender_unit_name) gin_trgm_ops);
"""
PG_DOWN = """
DROP INDEX IF EXISTS telegram_title_trgm;
DROP INDEX IF EXISTS telegram_receipt_trgm;
DROP INDEX IF EXISTS telegram_docno_trgm;
DROP INDEX IF EXISTS telegram_sender_trgm;
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)


class Migration(migrations.Migration):
    dependencies = [("telegrams", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
