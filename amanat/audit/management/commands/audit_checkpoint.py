"""``amanat audit-checkpoint``: sign the current size and root hash of the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.audit.services import AuditError, audit_checkpoint_create


class Command(BaseCommand):
    help = "Sign a checkpoint (log size, root hash, time), store it and print or write it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="write the checkpoint to this file")
        parser.add_argument(
            "--key", type=Path, help="private key file (default: settings.AMANAT_AUDIT_KEY)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = audit_checkpoint_create(key_path=options["key"])
        except AuditError as exc:
            raise CommandError(str(exc)) from exc
        if options["out"]:
            options["out"].write_text(checkpoint.text, encoding="utf-8")
        else:
            self.stdout.write(checkpoint.text, ending="")
