"""Reading and writing spreadsheets (CSV and XLSX), Django-free.

Reading gives a header row and an iterator of data rows, each paired with the row
number the user sees in a spreadsheet program (the header is row 1).  CSV comes as
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
from collections.abc import Iterable, Iterator, Sequence
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


class TabularError(ValueError):
    """A file that cannot be read as a table at all (not a row-level problem)."""

    def __init__(self, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_fa = message_fa


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it, cells); blank rows are left out.
    rows: Iterator[tuple[int, list[Cell]]]
    format: Format
    warnings: list[str] = field(default_factory=list)


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


def read_table(data: bytes, *, filename: str) -> Table:
    """Parse ``data`` (the whole file) as CSV or XLSX, chosen by the file name."""
    fmt = detect_format(filename)
    if fmt == "xlsx" or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    return _read_csv(data)


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


def _sniff_delimiter(first_line: str) -> str:
    return max(_DELIMITERS, key=first_line.count)


def _read_csv(data: bytes) -> Table:
    text, warnings = decode_text(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    try:
        headers = next(reader)
    except StopIteration:
        raise _empty() from None
    except csv.Error as exc:
        raise _unreadable(str(exc)) from exc

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        # Excel shows each CSV record as one row, even with line breaks inside quotes.
        try:
            for number, record in enumerate(reader, start=2):
                if any(value.strip() for value in record):
                    yield number, list(record)
        except csv.Error as exc:
            raise _unreadable(str(exc)) from exc

    return Table([h.strip() for h in headers], rows(), "csv", warnings)


def _xlsx_cell(value: Any) -> Cell:
    # calamine gives every number as a float; whole numbers are integers to a person.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == "":
        return None
    return value if isinstance(value, _CELL_TYPES) else str(value)


def _read_xlsx(data: bytes) -> Table:
    """Read the first sheet with calamine (a Rust reader; openpyxl is ~4× slower here)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(str(exc)) from exc
    # calamine pads the rows above the used range; the header is the first non-empty
    # row, and row numbers count from the sheet's top as a spreadsheet shows them.
    source = enumerate(sheet.iter_rows(), start=1)
    headers: list[str] = []
    for _number, header_cells in source:
        headers = [str(_xlsx_cell(c) or "").strip() for c in header_cells]
        if any(headers):
            break
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise _empty()

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        for number, values in source:
            cells = [_xlsx_cell(v) for v in values]
            if any(c is not None for c in cells):
                yield number, cells

    return Table(headers, rows(), "xlsx")


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
    sheet_title: str = "Sheet1",
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
) -> None:
    """Write a whole table to a binary stream as CSV or XLSX."""
    if format == "xlsx":
        write_xlsx(stream, headers, rows)
        return
    for chunk in csv_chunks(headers, rows):
        stream.write(chunk)
