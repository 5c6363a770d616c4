from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "amanat.core"
    label = "core"
    verbose_name = "Amanat"

    def ready(self) -> None:
        from amanat.core.collation import register_sqlite_collation

        # Infrastructure, not business logic: the Persian collation on every SQLite
        # connection (PostgreSQL has it from a migration).
        connection_created.connect(register_sqlite_collation,
                                   dispatch_uid="amanat.core.collation")
