"""Checkpoints become append-only at the database, like events (amanat/audit/triggers.py).

Before this, anyone with database access could delete the checkpoint rows after
rewriting the chain, and the signer re-checked only the events after the last row left.
"""

from django.db import migrations

from amanat.audit import triggers


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection, triggers.CHECKPOINT_TABLE)


def remove_triggers(apps, schema_editor):
    triggers.remove(schema_editor.connection, triggers.CHECKPOINT_TABLE)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install_triggers, remove_triggers),
    ]
