"""A data-quality rule for the stations whose register is unknown (0): the default
turnout and closing rules compare with the register and never fire there, so any figure
up to the impossible would be published unchecked (attack review F13, December 2026).
A turnout or closing total of such a station is held until a person verifies it.
"""

import importlib

from django.db import migrations

RULE = ("register-unknown", "تعداد واجدان شرایط شعبه نامعلوم",
        "The station's register is unknown",
        "تعداد واجدان شرایط این شعبه ثبت نشده (صفر) است، پس نمی‌توان مشارکت گزارش‌شده را با آن "
        "سنجید؛ عدد پیش از انتشار بررسی می‌شود.",
        "turnout,closing", "registered < 1")


def add(apps, schema_editor):
    rule = apps.get_model("operations", "QualityRule")
    code, name_fa, name_en, description, kinds, expression = RULE
    rule.objects.get_or_create(code=code, defaults={
        "name_fa": name_fa, "name_en": name_en, "description": description,
        "kinds": kinds, "expression": expression})


def seed(apps, schema_editor):
    """The tests' reseeding after a flush (conftest.REFERENCE_SEEDS): every default rule."""
    importlib.import_module("amanat.operations.migrations.0002_default_quality_rules").seed(
        apps, schema_editor)
    add(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("operations", "0002_default_quality_rules")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
