from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from amanat.candidates import search


def _ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # SQLite loses the search index's triggers when a migration rebuilds the table.
    search.ensure(connections[using])


class CandidatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.candidates"
    verbose_name = _("Candidates")

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_index, sender=self,
                             dispatch_uid="candidates_search_index")
