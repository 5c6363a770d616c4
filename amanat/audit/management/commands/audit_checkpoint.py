"""``amanat audit-checkpoint``: sign the current size and root hash of the audit log.

It signs only a log that extends the checkpoint this key signed last (kept next to the
key, see docs/audit-log.md); otherwise it refuses, exits non-zero and says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.audit.services import AuditError, audit_checkpoint_create, cli_actor


class Command(BaseCommand):
    help = "Sign a checkpoint (log size, root hash, time), store it and print or write it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="write the checkpoint to this file")
        parser.add_argument(
            "--key", type=Path, help="private key file (default: settings.AMANAT_AUDIT_KEY)"
        )
        parser.add_argument(
            "--new-series",
            action="store_true",
            help="sign although this signer has lost its record of the last checkpoint it "
            "signed (or that record no longer matches): starts a series not linked to the "
            "earlier checkpoints, and says so in the audit log",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = audit_checkpoint_create(
                key_path=options["key"], new_series=options["new_series"], actor_name=cli_actor()
            )
        except AuditError as exc:
            raise CommandError(str(exc)) from exc
        if options["out"]:
            options["out"].write_text(checkpoint.text, encoding="utf-8")
        else:
            self.stdout.write(checkpoint.text, ending="")
