"""Benchmark: the printed county atlas (WeasyPrint, Persian RTL, Vazirmatn).

On the national demo data (a fresh temporary SQLite file prepared like
bench/atlas_recompute.py, or a copy of ``--db``): time the Gharchak county PDF
(``--runs`` times), then the PDFs of a sample of ``--sample`` counties spread over the
country (every n-th county in code order) and extrapolate to all 448 counties; the JSON
says so. ``--all`` renders every county instead of extrapolating.

    .venv/bin/python bench/atlas_pdf.py [--runs 3] [--sample 40] [--all] [--db PATH]

Prints JSON. The baseline, for scale, is the same page rendered to HTML only (template
and queries, no layout or PDF): what the PDF costs on top of the web page.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--all", action="store_true", help="render every county")
    parser.add_argument("--db", type=Path, help="start from a copy of this SQLite database")
    args = parser.parse_args()
    import atlas_recompute as prep

    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        db_path = Path(tmp) / "atlas.sqlite3"
        if args.db:
            shutil.copy(args.db, db_path)
        prep.setup_django(db_path)
        election = prep.prepare()
        from amanat.atlas import pdf
        from amanat.geo.models import AdminUnit
        from amanat.lib.persian import search_key

        counties = list(AdminUnit.objects.filter(kind="county").order_by("code"))
        gharchak = next(c for c in counties if c.name_key == search_key("قرچک"))
        one, html, sizes = [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            data = pdf.county_pdf(election, gharchak)
            one.append(time.perf_counter() - start)
            sizes.append(len(data))
            start = time.perf_counter()
            pdf.county_html(election, gharchak)
            html.append(time.perf_counter() - start)
        chosen = counties if args.all else counties[:: max(len(counties) // args.sample, 1)][
            : args.sample]
        start = time.perf_counter()
        total_bytes = sum(len(pdf.county_pdf(election, c)) for c in chosen)
        seconds = time.perf_counter() - start
        per_county = seconds / len(chosen)
        result = {
            "benchmark": "atlas_pdf",
            "database": "sqlite (temporary file)",
            "cpu_count": os.cpu_count(),
            "one_county": {"county": "قرچک", "runs_seconds": [round(x, 2) for x in one],
                           "median_seconds": round(statistics.median(one), 2),
                           "bytes": sizes[-1]},
            "html_only_median_seconds": round(statistics.median(html), 3),
            "counties_rendered": len(chosen),
            "rendered_seconds": round(seconds, 1),
            "seconds_per_county": round(per_county, 2),
            "mean_bytes": round(total_bytes / len(chosen)),
            "all_counties": len(counties),
            "all_counties_seconds": round(per_county * len(counties), 1),
            "extrapolated": not args.all,
            "note": ("all counties rendered" if args.all else
                     f"{len(chosen)} counties spread over the code order, extrapolated "
                     f"linearly to {len(counties)}"),
            "load_average_at_end": os.getloadavg()[0],
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
