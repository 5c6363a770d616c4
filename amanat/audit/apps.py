from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "amanat.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # The admin loaded every admin module in its own ready(), which runs first (it
        # comes first in INSTALLED_APPS): the other packages' ModelAdmins are registered.
        if apps.is_installed("django.contrib.admin"):
            from django.contrib import admin

            from amanat.audit.admin import audit_every_admin

            audit_every_admin(admin.site)
