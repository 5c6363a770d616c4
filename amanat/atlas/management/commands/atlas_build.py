"""``amanat atlas-build``: recompute the atlas, take today's snapshot, optionally print PDFs.

    amanat atlas-build [--election SLUG]                 recompute everything + snapshot
    amanat atlas-build --pdf --county CODE [--out DIR]  also write that county's atlas
    amanat atlas-build --pdf --province CODE [--out DIR] the province's atlas (its counties'
                                                         summaries, map, tiers)
    amanat atlas-build --pdf --province CODE --counties  also one atlas per county of it
    amanat atlas-build --pdf [--out DIR]                 one atlas per county of the country
    amanat atlas-build --pdf --no-recompute ...          PDFs from the stored scores only
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.atlas import pdf, recompute, services
from amanat.audit.services import audit_record, cli_actor
from amanat.core.progress import track
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_command
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under


class Command(BaseCommand):
    help = "Recompute the election security atlas and take a snapshot; write PDF atlases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="election slug (default: the current election)")
        parser.add_argument("--pdf", action="store_true", help="write printed atlases (PDF)")
        parser.add_argument("--county", help="official code of one county")
        parser.add_argument("--province", help="official code of one province")
        parser.add_argument("--counties", action="store_true",
                            help="with --province: also each county's own atlas")
        parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PDFs")
        parser.add_argument("--no-recompute", action="store_true",
                            help="skip the recompute and snapshot")

    def handle(self, *args: Any, **options: Any) -> None:
        election = election_for_command(options["election"])
        counties = self._counties(options["county"], options["province"])
        if (options["county"] or options["province"]) and not options["pdf"]:
            raise CommandError("--county and --province choose PDFs: add --pdf")
        actor = cli_actor()
        if not options["no_recompute"]:
            result = recompute.atlas_recompute(election=election, actor_name=actor)
            services.snapshot_take(election=election, actor_name=actor)
            self.stdout.write(self.style.SUCCESS(
                f"recomputed {result.stations} stations, {result.counties} counties, "
                f"{result.provinces} provinces in {result.seconds:.2f} s; snapshot taken"))
        if options["pdf"] and options["province"]:
            self._write_province(election, options["province"], options["out"], actor)
            if not options["counties"]:
                return
        if options["pdf"]:
            self._write_pdfs(election, counties, options["out"], actor)

    def _write_province(self, election: Election, code: str, out: Path, actor: str) -> None:
        province = AdminUnit.objects.get(kind=Kind.PROVINCE, code=code)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"atlas-{election.slug}-province-{province.code}.pdf"
        path.write_bytes(pdf.province_pdf(election, province))
        self.stdout.write(f"wrote {path}")
        audit_record(action="atlas.export_pdf", actor_name=actor, unit=province,
                     object_type="geo.adminunit", object_id=province.pk,
                     extra={"election": election.slug, "level": "province", "out": str(out)})

    def _counties(self, county: str | None, province: str | None) -> list[AdminUnit]:
        if county and province:
            raise CommandError("give --county or --province, not both")
        units = AdminUnit.objects.filter(kind=Kind.COUNTY).select_related("parent")
        if county:
            units = units.filter(code=county)
            if not units.exists():
                raise CommandError(f"no county with code {county!r}")
        if province:
            found = AdminUnit.objects.filter(kind=Kind.PROVINCE, code=province).first()
            if found is None:
                raise CommandError(f"no province with code {province!r}")
            units = units.filter(under("path", found.path))
        return list(units.order_by("code"))

    def _write_pdfs(self, election: Election, counties: list[AdminUnit], out: Path,
                    actor: str) -> None:
        out.mkdir(parents=True, exist_ok=True)
        # All 448 counties take minutes: a bar with the time left on standard error.
        for county in track(counties, "county atlases (PDF)"):
            path = out / f"atlas-{election.slug}-{county.code}.pdf"
            path.write_bytes(pdf.county_pdf(election, county))
            self.stdout.write(f"wrote {path}")
        audit_record(action="atlas.export_pdf", actor_name=actor,
                     object_type="elections.election", object_id=election.pk,
                     extra={"counties": [c.code for c in counties], "out": str(out)})
