from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtlasConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.atlas"
    verbose_name = _("Election security atlas")
