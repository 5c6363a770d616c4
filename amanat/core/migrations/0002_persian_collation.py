"""The ICU collation "fa_ir" on PostgreSQL: Persian alphabetical order in ORDER BY.

SQLite gets a collation of the same name per connection (amanat.core.collation).
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE COLLATION IF NOT EXISTS fa_ir (provider = icu, locale = 'fa-IR')"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP COLLATION IF EXISTS fa_ir")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_idempotency_record")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
