"""Seed the agencies named in the election-security directive."""

from django.db import migrations

AGENCIES = [
    ("police", "فراجا (نیروی انتظامی)", "Police (FARAJA)", "police"),
    ("judiciary", "دادستانی و دستگاه قضایی", "Judiciary and prosecutor", "judiciary"),
    ("intelligence", "وزارت اطلاعات", "Ministry of Intelligence", "intelligence"),
    ("fata", "پلیس فتا", "Cyber police (FATA)", "cyber_police"),
    ("telecom", "مخابرات و فناوری اطلاعات", "Telecom and IT", "telecom"),
    ("municipality", "شهرداری", "Municipality", "municipality"),
    ("fire", "آتش‌نشانی", "Fire service", "fire"),
    ("health", "شبکه بهداشت و درمان", "Health network", "health"),
    ("election_hq", "ستاد انتخابات", "Election headquarters", "election_hq"),
]


def seed(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    for code, name_fa, name_en, kind in AGENCIES:
        Agency.objects.update_or_create(
            code=code, defaults={"name_fa": name_fa, "name_en": name_en, "kind": kind}
        )


def unseed(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    Agency.objects.filter(code__in=[a[0] for a in AGENCIES], membership__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
