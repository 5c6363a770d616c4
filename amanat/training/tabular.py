"""The attendance sheet: its columns, header variants and cells (the station import's
machinery: ``lib.tabular`` reads the file, ``stations.tabular`` compares headers and
reads yes/no and text the same way)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError, table_warnings, tabular_error
from amanat.lib.nationalid import national_id_from_cell
from amanat.lib.tabular import (
    Cell,
    HeaderNotFound,
    TabularError,
    check_error_cells,
    code_digits,
    read_table,
)
from amanat.stations.tabular import header_keys, parse_bool, parse_text
from amanat.training.services import AttendanceRow

# The first spelling of each column is what an export writes.
COLUMNS: dict[str, tuple[str, ...]] = {
    "national_id": ("کد ملی", "national id", "کدملی", "شماره ملی", "nid", "national code"),
    "full_name": ("نام و نام خانوادگی", "full name", "name", "نام", "نام کامل"),
    "mobile": ("تلفن همراه", "mobile", "موبایل", "شماره همراه", "تلفن", "phone"),
    "attended": ("حضور", "attended", "حاضر", "attendance", "present"),
}
_KEYS = {key: name for name, spellings in COLUMNS.items() for s in spellings
         for key in header_keys(s)}
REQUIRED = ("national_id", "full_name")


def column_of(header: str) -> str | None:
    for key in header_keys(header or ""):
        if key in _KEYS:
            return _KEYS[key]
    return None


def _is_header(cells: list[str]) -> bool:
    found = {column_of(c) for c in cells}
    return all(name in found for name in REQUIRED)


def attendance_rows(data: bytes, filename: str,
                    warnings: list[RuleError] | None = None) -> list[AttendanceRow]:
    """The sheet's rows; a cell that cannot be read (yes/no) is the row's ``problem``.
    Notes about how the file was read (hidden rows, an encoding guessed) are added to
    ``warnings``."""
    try:
        table = read_table(data, filename=filename, is_header=_is_header)
    except HeaderNotFound as error:
        raise RuleError(_("No header row with the columns national ID and full name was "
                          "found."), code="no_header", field="file") from error
    except TabularError as error:
        raise tabular_error(error).with_field("file") from error
    if warnings is not None:
        warnings += table_warnings(table)
    at: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        name = column_of(header)
        if name is not None and name not in at:
            at[name] = i

    try:  # an error value (#N/A) in a column read; other columns may hold them
        check_error_cells(table, at.values())
    except TabularError as error:
        raise tabular_error(error).with_field("file") from error

    def cell(cells: list[Cell], name: str) -> Cell:
        i = at.get(name)
        return None if i is None or i >= len(cells) else cells[i]

    rows: list[AttendanceRow] = []
    for line, cells in table.rows:
        problem = None
        try:
            attended = parse_bool(cell(cells, "attended"))
        except RuleError as error:
            attended, problem = None, error
        nid = national_id_from_cell(parse_text(cell(cells, "national_id")))
        rows.append(AttendanceRow(
            line=line, national_id=nid,
            full_name=parse_text(cell(cells, "full_name")),
            mobile=code_digits(parse_text(cell(cells, "mobile"))),
            attended=True if attended is None else attended, problem=problem))
    return rows
