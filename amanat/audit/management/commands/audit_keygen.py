"""``amanat audit-keygen``: create the Ed25519 key that signs audit checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amanat.audit.services import AuditError, audit_key_path, audit_keygen


class Command(BaseCommand):
    help = "Create the audit checkpoint signing key (refuses to overwrite); print the public key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key", type=Path, help="private key file (default: settings.AMANAT_AUDIT_KEY)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["key"] or audit_key_path()
        try:
            public = audit_keygen(path=path)
        except AuditError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            _("Private key written to %(path)s (keep it off the database server's backups).")
            % {"path": path}
        )
        self.stdout.write(public)
