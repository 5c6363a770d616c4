from django.db import migrations

# The rules as first seeded (staffing.rules.SEED keeps the same list for rules_seed).
SEED = [
    ("one_post", "هر فرد تنها یک سمت در یک انتخابات",
     "آیین‌نامه اجرایی قانون انتخابات، ترکیب اعضای شعب اخذ رأی",
     "No one holds two posts in the same election."),
    ("candidate", "نامزد انتخابات عضو شعبه نمی‌شود",
     "قانون انتخابات، منع عضویت داوطلبان در هیئت‌ها و شعب",
     "A candidate in the election cannot serve at a station."),
    ("relative", "بستگان نامزد در حوزه انتخابیه او خدمت نمی‌کنند",
     "قانون انتخابات، منع عضویت بستگان داوطلبان در حوزه انتخابیه",
     "A declared relative of a candidate cannot serve in that candidate's constituency."),
    ("inspector_home", "بازرس در محله خود بازرسی نمی‌کند",
     "دستورالعمل هیئت بازرسی، انتخاب بازرس شعب",
     "An inspector does not serve at a station in their own neighbourhood."),
    ("training", "گذراندن دوره آموزشی سمت",
     "دستورالعمل آموزش عوامل اجرایی انتخابات",
     "A post needs the course for that post completed."),
]


def seed(apps, schema_editor):
    rule = apps.get_model("staffing", "ConflictRule")
    for code, name, reference, description in SEED:
        rule.objects.get_or_create(code=code, defaults={
            "name": name, "legal_reference": reference, "description": description})


class Migration(migrations.Migration):
    dependencies = [("staffing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
