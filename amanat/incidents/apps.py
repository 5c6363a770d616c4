from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.incidents"
    verbose_name = _("Violations and crimes")

    def ready(self) -> None:
        from amanat.core import sms as core_sms
        from amanat.incidents import sms

        # A message no other app claims by its code is a report (incidents.sms).
        core_sms.register("incidents", sms.handle, fallback=True)
