from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_supervision_board_role")]
    operations = [
        migrations.AddField(
            model_name="profile",
            name="mobile",
            field=models.CharField(blank=True, max_length=11, verbose_name="mobile number"),
        ),
    ]
