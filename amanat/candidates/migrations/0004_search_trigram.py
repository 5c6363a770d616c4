"""The trigram index of the candidacies' search text: FTS5 on SQLite, pg_trgm on
PostgreSQL (amanat.candidates.search)."""

from django.db import migrations

from amanat.candidates import search


def create(apps, schema_editor):
    search.ensure(schema_editor.connection)


def remove(apps, schema_editor):
    search.drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('candidates', '0003_list_indexes'),
    ]

    operations = [migrations.RunPython(create, remove, elidable=False)]
