"""Run in a separate process by test_concurrency: append N events to the configured DB."""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    django.setup()
    from amanat.audit.services import audit_record

    name, count = sys.argv[1], int(sys.argv[2])
    for n in range(count):
        audit_record(action="test.concurrent", actor_name=name, extra={"n": n})


if __name__ == "__main__":
    main()
