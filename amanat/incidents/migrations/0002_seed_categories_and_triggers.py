"""Seed the violation categories and make the report table append-only."""

from django.db import migrations

from amanat.incidents import triggers
from amanat.incidents.categories import CATEGORIES


def seed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    Agency = apps.get_model("accounts", "Agency")
    agencies = {a.code: a for a in Agency.objects.all()}
    for position, c in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=c.code,
            defaults={
                "sms_code": c.sms_code, "name_fa": c.name_fa, "name_en": c.name_en,
                "agency": agencies[c.agency], "severity": c.severity,
                "response_hours": c.response_hours, "position": position,
            },
        )


def unseed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    Category.objects.filter(code__in=[c.code for c in CATEGORIES], reports__isnull=True,
                            cases__isnull=True).delete()


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("accounts", "0002_seed_agencies"),
    ]
    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
