"""``amanat grant-role USER ROLE UNIT``: give a role from the server's command line.

This is how an installation gets its first national administrator; later grants go
through the web UI, where the granter's own scope limits what they may grant.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.accounts.models import Agency, Role
from amanat.accounts.services import membership_grant_system
from amanat.audit.services import cli_actor
from amanat.geo.models import AdminUnit, Kind


def _unit(code: str) -> AdminUnit:
    """``IR`` for the country, else a province or county code (province wins on a tie)."""
    kinds = [Kind.COUNTRY] if code.upper() == "IR" else [Kind.PROVINCE, Kind.COUNTY]
    for kind in kinds:
        unit = AdminUnit.objects.filter(kind=kind, code=code.upper()).first()
        if unit is not None:
            return unit
    raise CommandError(f"No country, province or county with code {code!r} "
                       "(import the geography first: amanat import-geo).")


class Command(BaseCommand):
    help = "Grant ROLE at UNIT (IR, a province code or county:CODE) to USER."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("unit", help="IR, a province code, or county:CODE")
        parser.add_argument("--agency", help="agency code (for agency officers)")
        parser.add_argument("--create", action="store_true",
                            help="create the user with a random password, printed once")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["unit"]
        if code.startswith("county:"):
            unit = AdminUnit.objects.filter(kind=Kind.COUNTY, code=code[7:]).first()
            if unit is None:
                raise CommandError(f"No county with code {code[7:]!r}.")
        else:
            unit = _unit(code)
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"No agency with code {options['agency']!r}.")
        users = get_user_model().objects
        user = users.filter(username=options["username"]).first()
        if user is None:
            if not options["create"]:
                raise CommandError(f"No user {options['username']!r} (use --create).")
            password = secrets.token_urlsafe(12)
            user = users.create_user(username=options["username"], password=password)
            self.stdout.write(f"created {user.username} with password: {password}")
        try:
            membership_grant_system(user=user, role=options["role"], unit=unit, agency=agency,
                                    actor_name=cli_actor())
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{user.username}: {options['role']} at {unit.name} ({unit.code})")
