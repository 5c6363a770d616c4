"""Rules by constituency population, and the law's values as checked on 2026-12-02
(data/law.json ``_source``).  Rows that still hold the first seed's values are
corrected; a row an administrator changed is left as it is."""

from typing import Any

from django.db import migrations, models

OLD_BAND_REF = "قانون شوراها، ماده ۱"
# (kind, from population, for one unit) → (first seed's alternates, the law's)
RESERVES = {
    ("city", 50001, False): (4, 5), ("city", 200001, False): (5, 6),
    ("city", 500001, False): (6, 7), ("city", 1000001, False): (7, 8),
    ("city", 2000001, False): (8, 10), ("city", 0, True): (10, 11),
}
EDUCATION = "قانون شوراها، ماده ۳۷، بند ز"


def correct(apps: Any, schema_editor: Any) -> None:
    band_model = apps.get_model("candidates", "SeatBand")
    rule_model = apps.get_model("candidates", "EligibilityRule")
    for band in band_model.objects.all():
        old, new = RESERVES.get((band.kind, band.min_population, band.unit_id is not None),
                                (None, None))
        if old is not None and band.reserve_seats == old:
            band.reserve_seats = new
        if band.legal_reference.startswith(OLD_BAND_REF):
            article = "۴" if band.kind in ("village", "rural_district") else "۶"
            band.legal_reference = band.legal_reference.replace(
                OLD_BAND_REF, f"قانون شوراها، ماده {article}")
        band.save()
    # The councils law sets no upper age.
    rule_model.objects.filter(code="age_max", number=75,
                              contest_kind__in=["city_council", "village_council"]
                              ).update(active=False)
    rule_model.objects.filter(code="education", contest_kind="city_council", number=5,
                              min_population=0).update(
        min_population=20001, legal_reference=EDUCATION,
        name_fa="دست‌کم مدرک کارشناسی (شهرهای بالای ۲۰٬۰۰۰ نفر)",
        name_en="At least a bachelor's degree (cities above 20,000 people)")
    rule_model.objects.filter(code="education", contest_kind="village_council",
                              number=3).update(
        number=1, legal_reference=EDUCATION,
        name_fa="سواد خواندن و نوشتن؛ دیپلم برای روستاهای بالای ۲۰۰ خانوار",
        name_en="Able to read and write; a diploma for villages above 200 households")


class Migration(migrations.Migration):

    dependencies = [
        ('candidates', '0004_search_trigram'),
    ]

    operations = [
        migrations.AddField(
            model_name='eligibilityrule',
            name='max_population',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='up to population'),
        ),
        migrations.AddField(
            model_name='eligibilityrule',
            name='min_population',
            field=models.PositiveIntegerField(default=0, verbose_name='from population'),
        ),
        migrations.RunPython(correct, migrations.RunPython.noop),
    ]
