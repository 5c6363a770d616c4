from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from amanat.core import changes


class AtlasConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.atlas"
    verbose_name = _("Election security atlas")

    def ready(self) -> None:
        # Stations and incidents sit below the atlas and announce their changes through
        # core.changes; the atlas rescores on them (docs/decisions/0003-layers.md).
        from amanat.atlas import services

        changes.listen(services.atlas_on_change)
