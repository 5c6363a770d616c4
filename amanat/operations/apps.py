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
        # What no code claims stays the incidents app's report (its handler, its name),
        # but a station's staff who cannot be read get the check-in formats: this app's
        # ready() runs after the incidents app's (INSTALLED_APPS), so this replaces it.
        core_sms.register("incidents", sms.report_or_staff_help, fallback=True)
