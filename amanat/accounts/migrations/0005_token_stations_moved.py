# The binding now lives in stations.TokenStation (stations 0004 copied the rows).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_failure_window'),
        ('stations', '0004_token_stations'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='apitoken',
            name='stations',
        ),
    ]
