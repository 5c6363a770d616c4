"""The ``amanat`` console command: verbs with hyphens over Django management commands.

``amanat import-geo`` runs ``manage.py import_geo``; ``amanat serve`` runs gunicorn;
anything else is handed to Django unchanged, so ``amanat migrate`` works too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amanat", *args])


if __name__ == "__main__":
    main()
