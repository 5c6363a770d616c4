"""``amanat audit-export``: write the audit log as JSON Lines or NIST 1500-101 JSON.

The file is written whatever the log holds (a broken log is evidence too), then the
stored chain is re-hashed: if it no longer verifies, the command says so and fails, so
that whoever exports is not handed a tampered log without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amanat.audit.services import AuditError, audit_chain_problem, audit_export, cli_actor


class Command(BaseCommand):
    help = "Export the audit log (JSON Lines by default, or --format nist)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="file to write")
        parser.add_argument("--format", choices=["jsonl", "nist"], default="jsonl")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["out"]
        try:
            with path.open("w", encoding="utf-8") as out:
                result = audit_export(out=out, fmt=options["format"], actor_name=cli_actor())
        except AuditError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            _("Exported %(size)s events to %(path)s (root %(root)s).")
            % {"size": result.size, "path": path, "root": result.root}
        )
        problem = audit_chain_problem()
        if problem is not None:
            raise CommandError(
                _("The audit log does not verify: %(problem)s. The export was written; "
                  "check it with amanat-verify and the signed checkpoints.")
                % {"problem": problem}
            )
