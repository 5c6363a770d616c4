"""The default data-quality rules (issue 16), as rows: the national administrator edits
them and adds others on the rules page; none of them is code.

Names and descriptions are data, as in the threat catalogue (plans.catalogue): the
Persian name first, the English one beside it; the description is in Persian, the
language of the people who read the flags.
"""

from django.db import migrations

# (code, Persian name, English name, Persian description, kinds, expression)
RULES = [
    ("turnout-above-registered", "مشارکت بیش از واجدان شرایط شعبه",
     "Turnout above the registered voters",
     "مشارکت گزارش‌شده از تعداد واجدان شرایط پیش‌بینی‌شده برای شعبه بیشتر است.",
     "turnout", "registered > 0 and voters > registered"),
    ("closing-above-registered", "جمع آرای پایانی بیش از واجدان شرایط",
     "Closing total above the registered voters",
     "جمع آرای اعلام‌شده در پایان از تعداد واجدان شرایط پیش‌بینی‌شده برای شعبه بیشتر است.",
     "closing", "registered > 0 and total > registered"),
    ("turnout-went-down", "کاهش مشارکت تجمعی",
     "Cumulative turnout went down",
     "مشارکت از آغاز رأی‌گیری شمرده می‌شود: عددی کمتر از آخرین عدد منتشرشده یعنی جایی "
     "اشتباه شده است.",
     "turnout", "voters < previous_voters"),
    ("closing-differs-from-turnout", "فاصله زیاد جمع پایانی با آخرین مشارکت",
     "Closing total far from the last turnout",
     "جمع آرای پایانی بیش از ۱۰ درصد (و ۵۰ رأی) با آخرین مشارکت گزارش‌شده فاصله دارد.",
     "closing",
     "previous_voters > 0 and abs(total - previous_voters) > max(50, previous_voters / 10)"),
    ("reporters-disagree", "اختلاف دو گزارشگر",
     "Two reporters disagree",
     "گزارشگر دیگری برای همین شعبه و همین نوبت مشارکتی گزارش کرده که بیش از ۵ درصد "
     "(و ۱۰ رأی) با این گزارش فرق دارد.",
     "turnout", "abs(voters - other_voters) > max(10, voters / 20)"),
]


def add(apps, schema_editor):
    rule = apps.get_model("operations", "QualityRule")
    for code, name_fa, name_en, description, kinds, expression in RULES:
        rule.objects.get_or_create(code=code, defaults={
            "name_fa": name_fa, "name_en": name_en, "description": description,
            "kinds": kinds, "expression": expression})


# The tests' reseeding after a flush calls ``seed`` (conftest.REFERENCE_SEEDS).
seed = add


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
