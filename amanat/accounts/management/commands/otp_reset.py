"""``amanat otp-reset USERNAME``: remove a user's authenticator from the server's shell.

For a lost phone when no national administrator can sign in to do it on the web (or the
lost phone is the only national administrator's). The user's sessions end; they sign in
with their password and set up a new authenticator. Recorded in the audit log under the
shell user's name.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.accounts.services import totp_reset
from amanat.audit.services import cli_actor


class Command(BaseCommand):
    help = "Remove USERNAME's second-factor devices and end their sessions (a lost phone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        removed = totp_reset(user=user, actor=None, actor_name=cli_actor())
        self.stdout.write(
            f"{user.username}: {removed} device(s) removed, sessions ended; "
            "they set up a new authenticator at their next sign-in."
        )
