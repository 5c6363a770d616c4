"""A data-quality rule for a closing total lower than the one published before it: a
later closing (a correction, another reporter) replaced the published total with a lower
one unchecked when it stayed within the closing rule's margin of the last turnout (attack
review 2 F3, December 2026).  It reads ``previous_total``, the station's last published
closing total, a name the rules gained with it.
"""

import importlib

from django.db import migrations

RULE = ("closing-went-down", "کاهش جمع آرای پایانی",
        "Closing total went down",
        "جمع آرای پایانی از جمعی که پیش‌تر برای همین شعبه منتشر شده کمتر است؛ تا بررسی "
        "نشود، جمع پیشین منتشر می‌ماند.",
        "closing", "total < previous_total")


def add(apps, schema_editor):
    rule = apps.get_model("operations", "QualityRule")
    code, name_fa, name_en, description, kinds, expression = RULE
    rule.objects.get_or_create(code=code, defaults={
        "name_fa": name_fa, "name_en": name_en, "description": description,
        "kinds": kinds, "expression": expression})


def seed(apps, schema_editor):
    """The tests' reseeding after a flush (conftest.REFERENCE_SEEDS): every default rule."""
    importlib.import_module("amanat.operations.migrations.0003_register_unknown_rule").seed(
        apps, schema_editor)
    add(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("operations", "0005_incident_alerts")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
