from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from amanat.core import changes


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.plans"
    verbose_name = _("Security plans")

    def ready(self) -> None:
        # Councils sit below plans and announce a new meeting through core.changes;
        # plans then puts the area's overdue measures on its agenda after commit, as
        # the councils do with serious cases (docs/decisions/0003-layers.md).
        from amanat.plans import services

        changes.listen(services.plans_on_change)
