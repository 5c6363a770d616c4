"""Benchmark: importing the national geography (about 104,000 units) into a fresh database.

Prints JSON: our importer (amanat.geo.services.geo_import: one transaction, prepared
executemany inserts) against a naive baseline measured in the same run, one
``AdminUnit.objects.create`` per row in autocommit, on the first BASELINE_ROWS rows of the
same file (rows/s extrapolated to the whole file).  Each runs on its own temporary SQLite
file database with the project's settings (WAL, synchronous=FULL).

    .venv/bin/python bench/geo_import.py [--baseline-rows 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_path: Path) -> None:
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def use_database(db_path: Path) -> None:
    """Point the default connection at another SQLite file and create the schema."""
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = db_path
    migrate()


def run_ours() -> dict[str, Any]:
    from amanat.geo.services import geo_import

    started = time.perf_counter()
    result = geo_import()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = geo_import()
    reseconds = time.perf_counter() - started
    assert again.total_created == again.total_updated == 0
    return {
        "rows": result.total_created,
        "seconds": round(seconds, 3),
        "rows_per_s": round(result.total_created / seconds),
        "second_run_seconds": round(reseconds, 3),
        "second_run_changes": again.total_created + again.total_updated,
    }


def run_baseline(limit: int) -> dict[str, Any]:
    """The obvious ORM loop: look the parent up, create the unit, autocommit each row."""
    from amanat.geo import services
    from amanat.geo.models import AdminUnit

    rows = services._read_rows(services.DEFAULT_PATH)
    ordered = [r for kind in services._levels(rows) for r in rows[kind]][:limit]
    total = sum(len(items) for items in rows.values())
    started = time.perf_counter()
    for row in ordered:
        parent = (
            AdminUnit.objects.get(kind=row.parent[0], code=row.parent[1]) if row.parent else None
        )
        values = dict(zip(services.VALUE_FIELDS, row.values, strict=True))
        AdminUnit.objects.create(kind=row.kind, code=row.code, parent=parent, **values)
    seconds = time.perf_counter() - started
    rate = len(ordered) / seconds
    return {
        "rows": len(ordered),
        "seconds": round(seconds, 3),
        "rows_per_s": round(rate),
        "extrapolated_full_seconds": round(total / rate, 1),
        "note": f"measured on the first {len(ordered)} of {total} rows in tree order "
                "(country, provinces, counties, districts, ...); full time extrapolated",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-rows", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        ours_db, baseline_db = Path(tmp) / "ours.sqlite3", Path(tmp) / "baseline.sqlite3"
        setup_django(ours_db)
        migrate()
        ours = run_ours()
        use_database(baseline_db)
        baseline = run_baseline(args.baseline_rows)
        from django.db import connections

        connections["default"].close()
    print(json.dumps({
        "benchmark": "geo_import",
        "database": "sqlite (temporary file, WAL, synchronous=FULL)",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "ours": ours,
        "baseline_orm_create_per_row": baseline,
        "speedup": round(ours["rows_per_s"] / baseline["rows_per_s"], 1),
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
