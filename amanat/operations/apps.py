from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.operations"
    verbose_name = _("Election day")

    def ready(self) -> None:
        from amanat.core import sms as core_sms
        from amanat.operations import sms

        # Check-ins by SMS: the window codes (O#…, T1#…, C#…, I#…; operations.sms).
        core_sms.register(sms.HANDLER, sms.handle, prefixes=sms.prefixes())
