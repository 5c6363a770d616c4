from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from amanat.candidates import search

SEARCH_MIGRATION = ("candidates", "0004_search_trigram")


def _ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # SQLite loses the search index's triggers when a migration rebuilds the table; put
    # them back while the migration that made the index is applied (not after it was
    # reversed, nor once the table is gone).
    connection = connections[using]
    if SEARCH_MIGRATION in MigrationRecorder(connection).applied_migrations():
        search.ensure(connection)


class CandidatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.candidates"
    verbose_name = _("Candidates")

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_index, sender=self,
                             dispatch_uid="candidates_search_index")
        # A candidate cannot sit on an election board (boards cannot import candidates).
        from amanat.boards.services import member_seat_check
        from amanat.candidates.services import board_seat_check

        member_seat_check.connect(board_seat_check, dispatch_uid="candidates_board_seat")
