"""Benchmark: importing 59,000 polling stations from CSV and XLSX.

Builds a synthetic national geography (31 provinces, 448 counties, cities and villages)
in a fresh temporary SQLite database, writes a 59,000-row station spreadsheet with
Persian headers and values (Persian digits, Arabic letter forms, Jalali dates) as CSV and
XLSX, and times ``station_import`` on each.  The baseline, in the same run, is
django-import-export importing the same CSV through a ModelResource with equivalent
widgets (county by code, Persian enum labels, yes/no, Jalali dates); as it is much
slower, it imports a subset (``--baseline-rows``) and the full-size time is extrapolated
linearly, which the JSON says.

    .venv/bin/python bench/station_import.py [--rows 59000] [--baseline-rows 10000]

Prints JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROVINCES = 31
COUNTIES = 448
VILLAGES_PER_COUNTY = 10
# CPU seconds of this process per import: a fairer figure than wall time when other
# work shares the machine (the database is in-process SQLite, so it is counted too).
CPU_SECONDS: dict[str, float] = {}


def setup_django(db_path: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_geo() -> dict[str, list[str]]:
    """448 counties over 31 provinces; returns county code -> its unit codes."""
    from amanat.geo.models import AdminUnit

    def make(kind: str, letter: str, code: str, name: str, parent: Any) -> AdminUnit:
        return AdminUnit(kind=kind, code=code, name=name, name_key=name, parent=parent,
                         path=(parent.path if parent else "") + letter + code + "/",
                         depth=parent.depth + 1 if parent else 0)

    iran = make("country", "I", "-IR", "ایران", None)
    iran.save()
    provinces = [make("province", "P", str(p + 1), f"استان {p + 1}", iran)
                 for p in range(PROVINCES)]
    AdminUnit.objects.bulk_create(provinces)
    counties = [make("county", "C", f"{i % PROVINCES + 1:02d}{i // PROVINCES + 1:02d}",
                     f"شهرستان {i + 1}", provinces[i % PROVINCES]) for i in range(COUNTIES)]
    AdminUnit.objects.bulk_create(counties)
    districts = [make("district", "D", c.code + "01", "بخش مرکزی", c) for c in counties]
    AdminUnit.objects.bulk_create(districts)
    cities = [make("city", "T", d.code + "1", f"شهر {c.name}", d)
              for c, d in zip(counties, districts, strict=True)]
    rurals = [make("rural_district", "R", d.code + "01", "دهستان", d) for d in districts]
    AdminUnit.objects.bulk_create([*cities, *rurals])
    villages = [make("village", "V", f"{r.code}{v:03d}", f"روستای {v}", r)
                for r in rurals for v in range(VILLAGES_PER_COUNTY)]
    AdminUnit.objects.bulk_create(villages, batch_size=2000)
    units: dict[str, list[str]] = {c.code: [] for c in counties}
    for city in cities:
        units[city.code[:4]].append(city.code)
    for village in villages:
        units[village.code[:4]].append(village.code)
    return units


def synthetic_rows(n: int, units: dict[str, list[str]], seed: int = 1405) -> list[list[Any]]:
    rng = random.Random(seed)
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    codes = sorted(units)
    rows = []
    for i in range(n):
        county = codes[i % len(codes)]
        number = str(i // len(codes) + 1)
        mobile = rng.random() < 0.05
        cctv = rng.choice(["ندارد", "ندارد", "ضبط", "زنده"])
        fibre = rng.choice(["متصل", "ندارد", "در دست اجرا"])
        sensitive = rng.random() < 0.03
        closed = rng.random() < 0.01
        rows.append([
            number.translate(fa) if i % 3 == 0 else number,
            county,
            rng.choice(units[county]),
            "",
            f"مدرسه شهيد {rng.randint(1, 999)}" if i % 2 else f"مسجد جامع {i}",
            f"خيابان {rng.randint(1, 99)}، كوچه {rng.randint(1, 40)}",
            round(rng.uniform(27.0, 38.0), 6),
            round(rng.uniform(46.0, 61.0), 6),
            rng.choice(["مدرسه", "مسجد", "اداره", "مرکز بهداشت", "سایر"]),
            "بله" if mobile else "خیر",
            "روستاهای بخش مرکزی" if mobile else "",
            rng.randint(150, 2500),
            rng.choice(["", rng.randint(500, 3000)]),
            cctv,
            0 if cctv == "ندارد" else rng.randint(1, 6),
            fibre,
            f"1404/11/{rng.randint(1, 30):02d}" if fibre == "در دست اجرا" else "",
            rng.choice(["بله", "خیر"]),
            rng.choice(["بله", "خیر"]),
            rng.choice(["بله", "خیر"]),
            rng.choice(["بله", "خیر"]),
            "بله" if sensitive else "خیر",
            "سابقه ابطال" if sensitive else "",
            "بسته" if closed else "فعال",
            "تخریب ساختمان" if closed else "",
        ])
    return rows


def write_files(rows: list[list[Any]], folder: Path, baseline_rows: int) -> dict[str, Path]:
    from amanat.lib.tabular import write_xlsx
    from amanat.stations.tabular import EXPORT_COLUMNS

    headers = [h for h, _ in EXPORT_COLUMNS]
    paths = {"csv": folder / "stations.csv", "xlsx": folder / "stations.xlsx",
             "baseline": folder / "stations_subset.csv"}
    for key, subset in (("csv", rows), ("baseline", rows[:baseline_rows])):
        with open(paths[key], "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            writer.writerows(subset)
    with open(paths["xlsx"], "wb") as f:
        write_xlsx(f, headers, rows, sheet_title="شعب")
    return paths


def timed_import(election: Any, path: Path, label: str) -> tuple[float, Any]:
    from amanat.stations.services import station_import

    start, cpu = time.perf_counter(), time.process_time()
    report = station_import(election=election, file_path=path)
    elapsed = time.perf_counter() - start
    CPU_SECONDS[label] = time.process_time() - cpu
    if report.rejected:
        raise SystemExit(f"benchmark file rejected: {report.errors[:5]}")
    return elapsed, report


def clear_stations() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM stations_station")


def baseline_resource(election: Any) -> Any:
    """django-import-export's ModelResource for the same file, with fair widgets."""
    import h3
    from import_export import fields, resources, widgets

    from amanat.geo.models import AdminUnit
    from amanat.lib.jalali import parse_jalali_date
    from amanat.lib.persian import normalize, to_ascii_digits
    from amanat.stations.models import Station

    class ChoiceWidget(widgets.Widget):
        def __init__(self, table: dict[str, Any]) -> None:
            super().__init__()
            self.table = table

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            return self.table.get(value, value)

    class CodeWidget(widgets.CharWidget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            return to_ascii_digits(str(value or "")).strip()

    class TextWidget(widgets.CharWidget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            return normalize(str(value or ""))

    class JalaliWidget(widgets.Widget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            return parse_jalali_date(value) if value else None

    class CountyWidget(widgets.ForeignKeyWidget):
        def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
            return AdminUnit.objects.filter(kind="county")

    class UnitWidget(widgets.ForeignKeyWidget):
        def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
            return AdminUnit.objects.filter(kind__in=["city", "rural_district", "village"])

    yes_no = ChoiceWidget({"بله": True, "خیر": False})

    def f(attr: str, header: str, widget: Any = None) -> Any:
        return fields.Field(attribute=attr, column_name=header, widget=widget)

    class StationResource(resources.ModelResource):
        code = f("code", "کد شعبه", CodeWidget())
        county = f("county", "کد شهرستان", CountyWidget(AdminUnit, "code"))
        unit = f("unit", "کد شهر یا آبادی", UnitWidget(AdminUnit, "code"))
        name = f("name", "نام", TextWidget())
        address = f("address", "نشانی", TextWidget())
        latitude = f("latitude", "عرض جغرافیایی", widgets.FloatWidget())
        longitude = f("longitude", "طول جغرافیایی", widgets.FloatWidget())
        venue = f("venue", "نوع مکان", ChoiceWidget(
            {"مدرسه": "school", "مسجد": "mosque", "اداره": "office",
             "مرکز بهداشت": "health_centre", "سایر": "other"}))
        kind = f("kind", "سیار", ChoiceWidget({"بله": "mobile", "خیر": "fixed"}))
        route = f("route", "مسیر", TextWidget())
        expected_voters = f("expected_voters", "رای دهندگان", widgets.IntegerWidget())
        capacity = f("capacity", "ظرفیت", widgets.IntegerWidget())
        cctv = f("cctv", "دوربین", ChoiceWidget({"ندارد": "none", "ضبط": "recorded",
                                                 "زنده": "live"}))
        cameras = f("cameras", "تعداد دوربین", widgets.IntegerWidget())
        fibre = f("fibre", "فیبر", ChoiceWidget({"متصل": "connected", "ندارد": "none",
                                                 "در دست اجرا": "planned"}))
        fibre_date = f("fibre_date", "تاریخ فیبر", JalaliWidget())
        power_backup = f("power_backup", "برق اضطراری", yes_no)
        evoting_planned = f("evoting_planned", "رای گیری الکترونیکی", yes_no)
        evoting_ready = f("evoting_ready", "آمادگی تجهیزات الکترونیکی", yes_no)
        accessible = f("accessible", "دسترس پذیر", yes_no)
        sensitive = f("sensitive", "حساس", yes_no)
        sensitivity_reason = f("sensitivity_reason", "دلیل حساسیت", TextWidget())
        status = f("status", "وضعیت", ChoiceWidget({"فعال": "active", "بسته": "closed"}))
        closed_reason = f("closed_reason", "دلیل بسته بودن", TextWidget())

        class Meta:
            model = Station
            import_id_fields = ("county", "code")
            fields = ("code", "county", "unit", "name", "address", "latitude", "longitude",
                      "venue", "kind", "route", "expected_voters", "capacity", "cctv",
                      "cameras", "fibre", "fibre_date", "power_backup", "evoting_planned",
                      "evoting_ready", "accessible", "sensitive", "sensitivity_reason",
                      "status", "closed_reason")

        def get_queryset(self) -> Any:
            return Station.objects.filter(election=election)

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.election = election
            instance.unit_path = (instance.unit or instance.county).path
            instance.h3_cell = h3.latlng_to_cell(instance.latitude, instance.longitude, 7)

    return StationResource()


def time_baseline(election: Any, path: Path) -> tuple[float, int, int]:
    import tablib

    resource = baseline_resource(election)
    with open(path, encoding="utf-8-sig") as f:
        dataset = tablib.Dataset().load(f.read(), format="csv")
    start, cpu = time.perf_counter(), time.process_time()
    result = resource.import_data(dataset, dry_run=False, use_transactions=True)
    elapsed = time.perf_counter() - start
    CPU_SECONDS["baseline"] = time.process_time() - cpu
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("baseline import reported errors")
    return elapsed, len(dataset), result.totals["new"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=59_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        folder = Path(tmp)
        setup_django(folder / "bench.sqlite3")
        from amanat.elections.models import Election
        from amanat.stations.models import Station

        units = build_geo()
        election = Election.objects.create(name="بنچمارک", slug="bench", election_day="2026-06-12")
        rows = synthetic_rows(args.rows, units)
        start = time.perf_counter()
        paths = write_files(rows, folder, min(args.baseline_rows, args.rows))
        generate_seconds = time.perf_counter() - start

        csv_seconds, report = timed_import(election, paths["csv"], "csv")
        assert report.created == args.rows == Station.objects.count()
        reimport_seconds, again = timed_import(election, paths["csv"], "csv_again")
        assert again.unchanged == args.rows
        clear_stations()
        xlsx_seconds, report = timed_import(election, paths["xlsx"], "xlsx")
        assert report.created == args.rows
        clear_stations()

        base_seconds, base_rows, base_created = time_baseline(election, paths["baseline"])
        assert base_created == base_rows == Station.objects.count()
        base_full = base_seconds * args.rows / base_rows
        cpu = CPU_SECONDS
        base_cpu_full = cpu["baseline"] * args.rows / base_rows
        result = {
            "benchmark": "station_import",
            "rows": args.rows,
            "counties": COUNTIES,
            "database": "sqlite (fresh temporary file)",
            "cpu_count": os.cpu_count(),
            "file_sizes_bytes": {k: p.stat().st_size for k, p in paths.items()},
            "generate_files_seconds": round(generate_seconds, 2),
            "ours": {
                "csv_seconds": round(csv_seconds, 2),
                "csv_rows_per_second": round(args.rows / csv_seconds),
                "csv_reimport_unchanged_seconds": round(reimport_seconds, 2),
                "xlsx_seconds": round(xlsx_seconds, 2),
                "xlsx_rows_per_second": round(args.rows / xlsx_seconds),
            },
            "baseline_django_import_export": {
                "rows_timed": base_rows,
                "seconds": round(base_seconds, 2),
                "rows_per_second": round(base_rows / base_seconds),
                "extrapolated": base_rows != args.rows,
                "seconds_for_all_rows": round(base_full, 1),
                "note": "import_data(dry_run=False, use_transactions=True) on a CSV subset; "
                        "full-size time extrapolated linearly" if base_rows != args.rows
                        else "import_data(dry_run=False, use_transactions=True)",
            },
            "cpu_seconds": {
                "ours_csv": round(cpu["csv"], 2),
                "ours_xlsx": round(cpu["xlsx"], 2),
                "baseline_rows_timed": round(cpu["baseline"], 2),
                "baseline_all_rows_extrapolated": round(base_cpu_full, 1),
            },
            "load_average_at_end": os.getloadavg()[0],
            "speedup_csv_vs_baseline": round(base_full / csv_seconds, 1),
            "speedup_csv_vs_baseline_cpu": round(base_cpu_full / cpu["csv"], 1),
            "targets": {"speedup_at_least": 5, "xlsx_seconds_below": 20},
            "targets_met": base_full / csv_seconds >= 5 and xlsx_seconds < 20,
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
