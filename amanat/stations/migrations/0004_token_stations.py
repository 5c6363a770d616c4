# The token <-> station binding moves from accounts (ApiToken.stations) to stations:
# accounts sits below stations and may not know them (docs/decisions/0003-layers.md).
# The rows are copied here; accounts 0005 then drops the old many-to-many.

import django.db.models.deletion
from django.db import migrations, models


def copy_bindings(apps, schema_editor):
    old = apps.get_model("accounts", "ApiToken").stations.through
    new = apps.get_model("stations", "TokenStation")
    new.objects.bulk_create(
        new(token_id=row.apitoken_id, station_id=row.station_id)
        for row in old.objects.all().iterator()
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("accounts", "ApiToken").stations.through
    new = apps.get_model("stations", "TokenStation")
    old.objects.bulk_create(
        old(apitoken_id=row.token_id, station_id=row.station_id)
        for row in new.objects.all().iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_failure_window'),
        ('stations', '0003_canonical_station_codes'),
    ]

    operations = [
        migrations.CreateModel(
            name='TokenStation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('station', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='token_bindings', to='stations.station')),
                ('token', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='station_bindings', to='accounts.apitoken')),
            ],
            options={
                'verbose_name': 'token station',
                'verbose_name_plural': 'token stations',
                'constraints': [models.UniqueConstraint(fields=('token', 'station'), name='stations_tokenstation_unique')],
            },
        ),
        migrations.RunPython(copy_bindings, copy_back),
    ]
