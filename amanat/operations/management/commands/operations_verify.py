"""``amanat operations-verify``: the election-day tables (check-ins, the stations' days)
against the audit log (operations.reconcile, docs/operations.md).  Exit status 1 on any
mismatch; ``--json`` for machines."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from amanat.core.periodic import loop_seconds, run_every
from amanat.core.templatetags.persian import localize_digits
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_command
from amanat.geo.models import AdminUnit
from amanat.operations import reconcile, services

PAGE = 200
log = logging.getLogger("amanat.operations")


class Command(BaseCommand):
    help = ("Compare the election day's check-ins and stations' days with the audit log "
            "and report every row changed outside the application.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="election slug (default: the current one)")
        parser.add_argument("--county", help="the county's official code: check it only")
        parser.add_argument("--json", action="store_true",
                            help="one JSON document on standard output")
        parser.add_argument("--loop", type=int, metavar="SECONDS",
                            help="run every SECONDS seconds until stopped (each run "
                                 "recorded; an ERROR log line on any difference)")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES],
                            default=settings.LANGUAGE_CODE, help="the report's language")

    def handle(self, *args: Any, **options: Any) -> None:
        loop = loop_seconds(options.get("loop"))
        with translation.override(options["language"]):
            election = election_for_command(options.get("election"))
            county = None
            if options.get("county"):
                county = AdminUnit.objects.filter(kind="county", code=options["county"]).first()
                if county is None:
                    raise CommandError(f"no county with the code {options['county']!r}")
            if loop is None:
                if self._run(election, county, options).mismatches:
                    raise SystemExit(1)
                return
            run_every(loop, lambda: self._run(election, county, options),
                      name="operations-verify")

    def _run(self, election: Election, county: AdminUnit | None,
             options: dict[str, Any]) -> reconcile.Summary:
        """One pass: the report on standard output, the run recorded in the log, an
        ERROR line in the server log on any difference."""
        summary = reconcile.Summary()
        named: list[dict[str, Any]] = []

        def kept(found: Any) -> Any:
            for mismatch in found:
                if len(named) < services.VERIFY_NAMED:
                    named.append(mismatch.as_json())
                yield mismatch

        found = kept(reconcile.operations_verify(election, county, summary))
        if options["json"]:
            self._json(found, summary, election.slug, county)
        else:
            self._text(found, summary)
        services.verify_record(election=election, county_id=county.pk if county else None,
                               summary=summary, named=named)
        if summary.mismatches:
            log.error("operations-verify: %s differences between the election-day tables "
                      "and the audit log (%s): %s", summary.mismatches, election.slug,
                      summary.by_kind)
        return summary

    def _pages(self, found: Any) -> Any:
        page: list[reconcile.Mismatch] = []
        for mismatch in found:
            page.append(mismatch)
            if len(page) == PAGE:
                yield page, reconcile.places(page)
                page = []
        if page:
            yield page, reconcile.places(page)

    def _text(self, found: Any, summary: reconcile.Summary) -> None:
        for page, where in self._pages(found):
            for n, mismatch in enumerate(page):
                self.stdout.write(localize_digits(reconcile.describe(mismatch, where[n])))
        counts = {"checkins": summary.checkins, "events": summary.events,
                  "days": summary.days, "count": summary.mismatches}
        if summary.mismatches:
            self.stdout.write(localize_digits(
                _("MISMATCH: %(count)s differences between the tables and the audit log "
                  "(%(checkins)s check-ins, %(events)s events, %(days)s stations' days "
                  "read)") % counts))
        else:
            # Persian digits in the Persian report, as on every page.
            self.stdout.write(localize_digits(
                _("OK: the tables agree with the audit log (%(checkins)s check-ins, "
                  "%(events)s events, %(days)s stations' days read)") % counts))

    def _json(self, found: Any, summary: reconcile.Summary, election: str,
              county: AdminUnit | None) -> None:
        # Streamed: one mismatch at a time, the summary at the end.
        write = self.stdout.write
        write('{"mismatches": [', ending="")
        first = True
        for page, where in self._pages(found):
            for n, mismatch in enumerate(page):
                item = {**mismatch.as_json(), "station": where[n].station,
                        "window": where[n].window,
                        "message": reconcile.describe(mismatch, where[n])}
                write(("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False),
                      ending="")
                first = False
        write("\n], " + json.dumps({
            "election": election, "county": county.code if county else None,
            "clean": summary.mismatches == 0, "mismatches_count": summary.mismatches,
            "by_kind": summary.by_kind, "checkins": summary.checkins,
            "events": summary.events, "days": summary.days}, ensure_ascii=False)[1:])
