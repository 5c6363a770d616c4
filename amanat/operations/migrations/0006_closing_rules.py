"""Two data-quality rules for closing totals that cannot be right, which the closing
rule's margin of the last turnout let through (attack review 2, December 2026):

* F3: a closing total lower than the one published before it (a later closing, a
  "correction" or another reporter, replaced the published total with a lower one).  It
  reads ``previous_total``, the station's last published closing total, a name the rules
  gained with it.
* F7: a closing total lower than the last published turnout (fewer ballots than voters).
"""

import importlib

from django.db import migrations

RULES = [
    ("closing-went-down", "کاهش جمع آرای پایانی",
     "Closing total went down",
     "جمع آرای پایانی از جمعی که پیش‌تر برای همین شعبه منتشر شده کمتر است؛ تا بررسی "
     "نشود، جمع پیشین منتشر می‌ماند.",
     "closing", "total < previous_total"),
    ("closing-below-turnout", "جمع آرای پایانی کمتر از مشارکت",
     "Closing total below the last turnout",
     "جمع آرای پایانی از آخرین مشارکت منتشرشدهٔ شعبه کمتر است: شمار برگه‌های رأی از شمار "
     "رأی‌دهندگان کمتر نمی‌شود.",
     "closing", "total < previous_voters"),
]


def add(apps, schema_editor):
    rule = apps.get_model("operations", "QualityRule")
    for code, name_fa, name_en, description, kinds, expression in RULES:
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
