#!/usr/bin/env python3
"""Compile every translation catalog (.po) under amanat/ to its binary form (.mo).

.mo files are build products (gitignored).  With GNU gettext's ``msgfmt`` available we
use Django's ``compilemessages`` (which checks the catalogs strictly); without it we
fall back to a pure-Python compile with ``polib``, so a machine without gettext can still
run the app in Persian.

``--merge`` first folds the Persian translations other engineers leave in
``docs/translations/*.tsv`` (``english<TAB>persian`` lines; ``english<TAB>one<TAB>many``
for a plural message whose Persian forms differ) into the fa catalog: it fills entries
that are empty or fuzzy and never overwrites a reviewed translation.

Usage: ``scripts/compile_messages.py [--merge] [--force] [--polib]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT / "amanat"
TSV_DIR = PROJECT / "docs" / "translations"
FA_CATALOG = PACKAGE / "locale" / "fa" / "LC_MESSAGES" / "django.po"


def catalogs() -> list[Path]:
    return sorted(PACKAGE.glob("**/locale/*/LC_MESSAGES/*.po"))


def stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def project_python() -> str:
    """The project's virtualenv interpreter when there is one (it has Django)."""
    venv = PROJECT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def compile_with_django() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "amanat.settings"}
    # Run inside amanat/ so compilemessages does not walk into .venv and node_modules.
    subprocess.run(
        [project_python(), "-m", "amanat.cli", "compilemessages", "--ignore=.venv"],
        cwd=PACKAGE,
        env={**env, "PYTHONPATH": str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")},
        check=True,
    )


def compile_with_polib(pos: list[Path]) -> None:
    try:
        import polib
    except ImportError:
        sys.exit("compile_messages: neither msgfmt (gettext) nor polib is installed")
    for po in pos:
        # Only translated, non-fuzzy entries are written, as msgfmt does.
        polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
        print(f"compiled {po.relative_to(PROJECT)} (polib)")


def read_tsv() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for tsv in sorted(TSV_DIR.glob("*.tsv")):
        for number, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            english, sep, persian = line.partition("\t")
            if not sep or not persian.strip():
                print(f"{tsv.name}:{number}: skipped (want english<TAB>persian)")
                continue
            # A literal "\n" in a TSV cell stands for a newline in the message.
            pairs[english.replace("\\n", "\n")] = persian.strip().replace("\\n", "\n")
    return pairs


def merge_tsv() -> None:
    import polib

    pairs = read_tsv()
    catalog = polib.pofile(str(FA_CATALOG), wrapwidth=0)
    filled = 0
    for entry in catalog:
        if entry.obsolete or entry.msgid not in pairs:
            continue
        fuzzy = "fuzzy" in entry.flags
        # english<TAB>persian, or english<TAB>one<TAB>many for a plural message whose
        # Persian forms differ («شعبهٔ ۰۰۴۲» / «شعبه‌های ۰۰۴۲، ۰۰۴۳»).
        one, _tab, many = pairs[entry.msgid].partition("\t")
        if entry.msgid_plural:
            if fuzzy or not all(entry.msgstr_plural.values()):
                # Persian uses the same form for one and many in running text.
                entry.msgstr_plural = {0: one.strip(), 1: (many or one).strip()}
                filled += 1
        elif fuzzy or not entry.msgstr:
            entry.msgstr = one.strip()
            filled += 1
        if fuzzy:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    catalog.save()
    print(f"merged {filled} translation(s) from {TSV_DIR.relative_to(PROJECT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="recompile up-to-date catalogs")
    parser.add_argument("--polib", action="store_true", help="use polib even if msgfmt exists")
    parser.add_argument("--merge", action="store_true", help="merge docs/translations/*.tsv")
    args = parser.parse_args(argv)
    if args.merge:
        merge_tsv()
    pos = [po for po in catalogs() if args.force or stale(po)]
    if not pos:
        print("compile_messages: all catalogs up to date")
        return 0
    if shutil.which("msgfmt") and not args.polib:
        compile_with_django()
    else:
        compile_with_polib(pos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
