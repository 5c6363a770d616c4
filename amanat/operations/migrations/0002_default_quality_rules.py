"""The default data-quality rules (issue 16), as rows: the national administrator edits
them and adds others on the rules page; none of them is code."""

from django.db import migrations

RULES = [
    ("turnout-above-registered", "Turnout above the registered voters",
     "The turnout reported is more than the station's registered voters.",
     "turnout", "registered > 0 and voters > registered"),
    ("closing-above-registered", "Closing total above the registered voters",
     "The closing total is more than the station's registered voters.",
     "closing", "registered > 0 and total > registered"),
    ("turnout-went-down", "Cumulative turnout went down",
     "Turnout is counted from the opening: a smaller number than the last one published "
     "is a mistake somewhere.",
     "turnout", "voters < previous_voters"),
    ("closing-differs-from-turnout", "Closing total far from the last turnout",
     "The closing total differs from the last turnout by more than 10% (and 50 votes).",
     "closing", "previous_voters > 0 and abs(total - previous_voters) > max(50, previous_voters / 10)"),
    ("reporters-disagree", "Two reporters disagree",
     "Another reporter gave a turnout for the same station and window that differs by "
     "more than 5% (and 10 votes).",
     "turnout", "abs(voters - other_voters) > max(10, voters / 20)"),
]


def add(apps, schema_editor):
    rule = apps.get_model("operations", "QualityRule")
    for code, name, description, kinds, expression in RULES:
        rule.objects.get_or_create(code=code, defaults={
            "name": name, "description": description, "kinds": kinds,
            "expression": expression})


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
