"""Reading and writing spreadsheets (CSV and XLSX), Django-free.

Reading gives a header row and an iterator of data rows, each paired with the row
number the user sees in a spreadsheet program.  Real files often have a title row or two
above the header and an instructions sheet before the data: given ``is_header``, the
reader looks for the header among the first ``HEADER_SCAN_ROWS`` rows of each sheet in
turn (CSV: of the file) and starts the data below it.  CSV comes as
UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode text"), or, failing
UTF-8, Windows-1256 (what Persian Windows Excel writes); the delimiter is sniffed from
the header line.  XLSX is read with python-calamine and written with openpyxl.

Writing escapes text cells that a spreadsheet would run as a formula (CSV injection) by
prefixing an apostrophe; ``unescape_formula`` removes exactly that prefix again so that
an exported file imports back unchanged.  Numbers stay numbers and are never escaped.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

Cell = str | int | float | bool | datetime.date | datetime.datetime | datetime.time | None
Format = Literal["csv", "xlsx"]

# A text cell starting with one of these is run as a formula by Excel/LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The apostrophe itself is escaped too, so that unescaping is an exact inverse.
_ESCAPED_PREFIXES = (*FORMULA_PREFIXES, "'")
_DELIMITERS = (",", ";", "\t")
_CELL_TYPES = (str, int, float, bool, datetime.date, datetime.time, type(None))
# How far down a sheet the header row is looked for (title rows, notes, blank rows).
HEADER_SCAN_ROWS = 30
HeaderTest = Callable[[list[str]], bool]


class TabularError(ValueError):
    """A file that cannot be read as a table at all (not a row-level problem)."""

    def __init__(self, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_fa = message_fa


class HeaderNotFound(TabularError):
    """No row passed the caller's header test; ``sheets`` were searched (CSV: none
    named) down to row ``HEADER_SCAN_ROWS`` each.  The caller knows what it looked for
    and says so in its own message."""

    def __init__(self, sheets: list[str]) -> None:
        self.sheets = sheets
        names = "، ".join(sheets)
        super().__init__(
            f"no header row in the first {HEADER_SCAN_ROWS} rows"
            + (f" of the sheets {', '.join(sheets)}" if sheets else ""),
            f"در {_fa_number(HEADER_SCAN_ROWS)} سطر نخست"
            + (f" برگه‌های {names}" if sheets else "") + " سطر عنوان پیدا نشد",
        )


def _fa_number(value: int) -> str:
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it, cells); blank rows are left out.
    rows: Iterator[tuple[int, list[Cell]]]
    format: Format
    warnings: list[str] = field(default_factory=list)
    sheet: str = ""  # the XLSX sheet read
    header_row: int = 1  # the header's row number as a spreadsheet shows it


def escape_formula(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would treat as a formula."""
    if value.startswith(_ESCAPED_PREFIXES):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Inverse of ``escape_formula``: drop the protective apostrophe, nothing else."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r'":
        return value[1:]
    return value


def detect_format(filename: str) -> Format:
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    raise TabularError(
        f"{filename!r} is neither a CSV nor an XLSX file",
        f"پرونده «{filename}» نه CSV است نه XLSX",
    )


def read_table(
    data: bytes, *, filename: str, is_header: HeaderTest | None = None
) -> Table:
    """Parse ``data`` (the whole file) as CSV or XLSX, chosen by the file name.

    Without ``is_header`` the first non-empty row of the first sheet is the header.  With
    it, the header is the first row (of the first ``HEADER_SCAN_ROWS`` of each sheet, in
    sheet order) that it accepts; ``HeaderNotFound`` when there is none.
    """
    fmt = detect_format(filename)
    if fmt == "xlsx" or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, is_header)
    return _read_csv(data, is_header)


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """Decode CSV bytes; returns the text and any warnings about the guess made."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise TabularError(
                "the file starts with a UTF-16 mark but is not valid UTF-16",
                "پرونده با نشانه UTF-16 آغاز می‌شود اما UTF-16 معتبر نیست",
            ) from exc
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return data.decode("cp1256", errors="replace"), [
            "the file is not UTF-8; it was read as Windows-1256 (Arabic/Persian Windows)"
        ]


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter used most on one line among the first ones (a title line above the
    header may have none)."""
    return max(_DELIMITERS, key=lambda d: max((line.count(d) for line in lines), default=0))


def _find_header(
    numbered: Iterator[tuple[int, list[str]]], is_header: HeaderTest | None
) -> tuple[int, list[str]] | None:
    """The header among the first rows of ``numbered`` (consumed up to it)."""
    for number, cells in numbered:
        if number > HEADER_SCAN_ROWS and is_header is not None:
            return None
        if not any(cells):
            continue
        if is_header is None or is_header(cells):
            return number, cells
    return None


def _read_csv(data: bytes, is_header: HeaderTest | None = None) -> Table:
    text, warnings = decode_text(data)
    first_lines = text.split("\n", HEADER_SCAN_ROWS)[:HEADER_SCAN_ROWS]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_lines))
    # Excel shows each CSV record as one row, even with line breaks inside quotes.
    records = enumerate(reader, start=1)
    try:
        found = _find_header(((n, [c.strip() for c in r]) for n, r in records), is_header)
    except csv.Error as exc:
        raise _unreadable(str(exc)) from exc
    if found is None:
        if is_header is None or not text.strip():
            raise _empty()
        raise HeaderNotFound([])
    header_row, headers = found

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for number, record in records:
                if any(value.strip() for value in record):
                    yield number, list(record)
        except csv.Error as exc:
            raise _unreadable(str(exc)) from exc

    return Table(headers, rows(), "csv", warnings, header_row=header_row)


def _xlsx_cell(value: Any) -> Cell:
    # calamine gives every number as a float; whole numbers are integers to a person.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == "":
        return None
    return value if isinstance(value, _CELL_TYPES) else str(value)


def _header_text(value: Any) -> str:
    cell = _xlsx_cell(value)
    return "" if cell is None else str(cell).strip()


def _read_xlsx(data: bytes, is_header: HeaderTest | None = None) -> Table:
    """Read the data sheet with calamine (a Rust reader; openpyxl is ~4× slower here).

    The data sheet is the first one (without ``is_header``), else the first visible
    worksheet with a header row: an instructions sheet before it is passed over.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [
            m.name for m in book.sheets_metadata
            if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith(".Visible")
        ] or list(book.sheet_names[:1])
        if is_header is None:
            names = names[:1]
        for name in names:
            # calamine pads the rows above the used range, so row numbers count from
            # the sheet's top as a spreadsheet shows them.
            source = enumerate(book.get_sheet_by_name(name).iter_rows(), start=1)
            found = _find_header(((n, [_header_text(c) for c in r]) for n, r in source),
                                 is_header)
            if found is not None:
                return _xlsx_table(name, found, source)
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(str(exc)) from exc
    if is_header is None:
        raise _empty()
    raise HeaderNotFound(names)


def _xlsx_table(
    name: str, found: tuple[int, list[str]], source: Iterator[tuple[int, list[Any]]]
) -> Table:
    header_row, headers = found
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        for number, values in source:
            cells = [_xlsx_cell(v) for v in values]
            if any(c is not None for c in cells):
                yield number, cells

    return Table(headers, rows(), "xlsx", sheet=name, header_row=header_row)


def _empty() -> TabularError:
    return TabularError("the file is empty: no header row", "پرونده خالی است: سطر عنوان ندارد")


def _unreadable(detail: str) -> TabularError:
    return TabularError(
        f"the file cannot be read as a table: {detail}",
        f"پرونده را نمی‌توان به شکل جدول خواند: {detail}",
    )


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return escape_formula(value)
    return value.isoformat()


class _Line:
    """A write-only file object that hands back what csv.writer wrote."""

    def __init__(self) -> None:
        self.value = ""

    def write(self, text: str) -> int:
        self.value = text
        return len(text)


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """CSV as UTF-8 byte chunks (BOM first, so Excel reads Persian correctly).

    A generator, suitable for Django's StreamingHttpResponse; text cells are escaped.
    """
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow([escape_formula(h) for h in headers])
    yield codecs.BOM_UTF8 + line.value.encode("utf-8")
    batch: list[str] = []
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        batch.append(line.value)
        if len(batch) >= 500:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, str):
        return escape_formula(value)
    return value


def write_xlsx(
    stream: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet_title: str,
    right_to_left: bool = True,
) -> None:
    """Write an XLSX workbook with openpyxl's streaming (write-only) mode."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.sheet_view.rightToLeft = right_to_left
    sheet.append([escape_formula(h) for h in headers])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    workbook.save(stream)


def write_table(
    stream: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    format: Format,
    sheet_title: str,
) -> None:
    """Write a whole table to a binary stream as CSV or XLSX (its one sheet named
    ``sheet_title``: a name that says what it holds, never "Sheet1")."""
    if format == "xlsx":
        write_xlsx(stream, headers, rows, sheet_title=sheet_title)
        return
    for chunk in csv_chunks(headers, rows):
        stream.write(chunk)
