"""Reading and writing spreadsheets (CSV and XLSX), Django-free.

Reading gives a header row and an iterator of data rows, each paired with the row
number the user sees in a spreadsheet program.  Real files often have a title row or two
above the header and an instructions sheet before the data: given ``is_header``, the
reader looks for the header among the first ``HEADER_SCAN_ROWS`` rows of each sheet in
turn (CSV: of the file) and starts the data below it.  CSV comes as
UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode text"), or, failing
UTF-8, Windows-1256 (what Persian Windows Excel writes); the delimiter is sniffed from
the header line.  XLSX is read with python-calamine and written with openpyxl.

Reading is bounded by the data, not by what a file declares: a sheet or file whose
rows run past ``MAX_ROWS`` (counted to its last cell with a value), or an XLSX sheet
whose cells run past ``MAX_COLUMNS``, is refused before its rows are read, so a small
file with one cell at Z1048576 costs no more than its real content.  A cell may be as
long as a spreadsheet allows (``MAX_CELL_CHARS``); the caller decides what is too long
for each column.

The files offices really send are named, not misread: a password-protected XLSX, an
old .xls or an .ods, a file renamed .xlsx, a CSV with NUL bytes (binary) are refused
with their own reason; a workbook that unpacks past ``MAX_UNPACKED_BYTES`` is refused
before calamine unpacks it; a cell holding an error value (#N/A) in a column an import
reads refuses the file, named by cell (``check_error_cells``); a cell merged down
several data rows gives each its value; hidden rows of data are named in a warning.  Every
refusal is raised by ``read_table`` itself (CSV records are read there), never while a
caller iterates the rows.

Writing escapes text cells that a spreadsheet would run as a formula (CSV injection) by
prefixing an apostrophe; ``unescape_formula`` removes exactly that prefix again so that
an exported file imports back unchanged.  Numbers stay numbers and are never escaped.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import html
import io
import re
import zipfile
import zlib
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
# The longest text a spreadsheet cell holds (Excel's limit): XLSX cannot carry more, so
# no column may store more, and a longer cell is never cut silently on writing.
MAX_CELL_CHARS = 32_767
# The most rows read from one sheet or CSV file (the national registry has about 59,000
# stations), and the most columns of one XLSX sheet (a station file has 25): calamine
# holds every cell of a sheet's used rectangle in memory.
MAX_ROWS = 100_000
MAX_COLUMNS = 64
# The csv module refuses fields over 128 KiB with an exception mid-file; the whole text is
# in memory already, so its guard protects nothing and the length is judged by the
# caller (with the row and column named).  Raised once, process-wide, never lowered.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


TableProblem = Literal["format", "utf8", "utf16", "empty", "unreadable", "no_header",
                       "too_many_rows", "too_many_columns", "formula_without_value",
                       "encrypted", "xls", "ods", "not_xlsx", "binary", "unpacked_too_large",
                       "error_cell"]
# An XLSX is a ZIP archive; what its parts hold once unpacked is bounded, whatever the
# archive declares (a few megabytes of zeros unpack to gigabytes: a "zip bomb").  The
# national station registry (59,000 rows) unpacks to about 60 MB.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_MB = 1024 * 1024
# An OLE2 compound file: an old binary .xls, or an XLSX saved with a password (Excel
# encrypts the whole package into one, beside an "EncryptionInfo" stream).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


class TabularError(ValueError):
    """A file that cannot be read as a table at all (not a row-level problem).

    ``reason`` says what (the Django layer words it: ``amanat.core.errors.tabular_error``);
    ``filename`` or ``detail`` (the reader's own words) say more.
    """

    def __init__(self, reason: TableProblem, *, filename: str = "", detail: str = "",
                 count: int = 0, limit: int = 0, row: int = 0, column: str = "",
                 cell: str = "", value: str = "") -> None:
        super().__init__(reason, filename or detail)
        self.reason: TableProblem = reason
        self.filename = filename
        self.detail = detail
        self.count, self.limit = count, limit  # too many rows or columns: found, allowed
        # Where in the file, when one place is at fault (a NUL byte, an error cell): the
        # row as a spreadsheet shows it, the column's header, the cell ("B7"), its value.
        self.row, self.column, self.cell, self.value = row, column, cell, value


class HeaderNotFound(TabularError):
    """No row passed the caller's header test; ``sheets`` were searched (CSV: none
    named) down to row ``HEADER_SCAN_ROWS`` each.  The caller knows what it looked for
    and says so in its own message."""

    def __init__(self, sheets: list[str]) -> None:
        super().__init__("no_header", detail=", ".join(sheets))
        self.sheets = sheets


# A warning about how a file was read: the file was not UTF-8 and was read as cp1256.
CP1256_WARNING = "cp1256"
# A warning: rows of data are hidden in the sheet (``Table.hidden_rows``) and were read
# like the others (an AutoFilter often hides the rows an office meant to leave out).
HIDDEN_ROWS_WARNING = "hidden_rows"
# A refusal: a formula cell of the data sheet has no saved value (the program that wrote
# the file did not compute it), so the value is unknown: "formula_without_value".


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it, cells); blank rows are left out.
    rows: Iterator[tuple[int, list[Cell]]]
    format: Format
    warnings: list[str] = field(default_factory=list)  # codes: CP1256_WARNING
    sheet: str = ""  # the XLSX sheet read
    header_row: int = 1  # the header's row number as a spreadsheet shows it
    # The last row's number as far as it is known before reading them (the sheet's
    # extent, the CSV's line count): for a progress bar, never for checks.  0 = unknown.
    last_row: int = 0
    # XLSX rows under the header, holding values, that the sheet hides.
    hidden_rows: list[int] = field(default_factory=list)
    # XLSX cells under the header whose saved value is an error, the first of each
    # column: (row, column index, reference, error); ``check_error_cells`` judges them.
    error_cells: list[tuple[int, int, str, str]] = field(default_factory=list)


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


# A whole number written with a decimal part of zeros: what a CSV holds where the program
# that wrote it kept the column as decimals (pandas with an empty cell in the column,
# LibreOffice's "0.0" format): 3110009012.0, ۸۱۵٫۰.
_WHOLE_DECIMAL = re.compile(r"([0-9]+)[.\u066b]0+")


def code_digits(text: str) -> str:
    """A code read from a cell (a national ID, a county or station code, a mobile): a
    whole number with a zero decimal part (``815.0``) is its digits (``815``); any other
    text is returned unchanged, for the code's own check to judge.  Codes never hold a
    decimal point, so nothing meant is lost."""
    match = _WHOLE_DECIMAL.fullmatch(text)
    return match.group(1) if match else text


def detect_format(filename: str) -> Format:
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    # Saved by a program that has a .xlsx: said how, not only that the file is refused
    # (a web system's "Excel export" is often an HTML table named .xls).
    if lower.endswith(".xls"):
        raise TabularError("xls", filename=filename)
    if lower.endswith(".ods"):
        raise TabularError("ods", filename=filename)
    raise TabularError("format", filename=filename)


def read_table(
    data: bytes, *, filename: str, is_header: HeaderTest | None = None
) -> Table:
    """Parse ``data`` (the whole file) as CSV or XLSX, chosen by the file name.

    Without ``is_header`` the first non-empty row of the first sheet is the header.  With
    it, the header is the first row (of the first ``HEADER_SCAN_ROWS`` of each sheet, in
    sheet order) that it accepts; ``HeaderNotFound`` when there is none.
    """
    fmt = detect_format(filename)
    if not data.strip():
        raise _empty()
    if data.startswith(_OLE2):
        # Excel's password-protected XLSX, or an old .xls renamed: neither is read.
        raise TabularError("encrypted" if _ENCRYPTION_INFO in data else "xls",
                           filename=filename)
    if fmt == "xlsx" or data[:4] == b"PK\x03\x04":
        if data[:4] != b"PK\x03\x04":
            raise TabularError("not_xlsx", filename=filename)
        return _read_xlsx(data, is_header)
    return _read_csv(data, is_header)


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """Decode CSV bytes; returns the text and any warnings about the guess made."""
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TabularError("utf8", row=body.count(b"\n", 0, exc.start) + 1) from exc
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TabularError("utf16") from exc
    elif b"\x00" in data:
        text = _utf16_without_bom(data)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, warnings = data.decode("cp1256", errors="replace"), [CP1256_WARNING]
    if "\x00" in text:
        # Not text (a binary file renamed .csv); a NUL would also reach the database,
        # which refuses it.
        raise TabularError("binary", row=text.count("\n", 0, text.index("\x00")) + 1)
    return text, warnings


def _utf16_without_bom(data: bytes) -> str:
    """Bytes holding NUL: UTF-16 written without its mark (every ASCII character, a
    comma or a line end, has a NUL beside it, always on the same side), else returned
    as they are for ``decode_text`` to refuse."""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    # Commas, line ends, spaces and digits are ASCII: in UTF-16 they are far more than a
    # twentieth of a table's characters (a stray NUL in UTF-8 text is not UTF-16).
    if len(data) % 2 == 0 and (even == 0) != (odd == 0) and (even + odd) * 40 >= len(data):
        try:
            return data.decode("utf-16-le" if even == 0 else "utf-16-be")
        except UnicodeDecodeError:
            pass
    return data.decode("utf-8", errors="replace")


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
    # Every record is read here, not as the caller iterates: a file refused for its
    # length (or a record the csv module cannot read) is refused by ``read_table``
    # itself, where every importer handles it, never half-way through a caller's loop.
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for number, record in records:
            if number > MAX_ROWS:
                raise _too_many_rows(number, "")
            if any(value.strip() for value in record):
                rows.append((number, list(record)))
    except csv.Error as exc:
        raise _unreadable(str(exc)) from exc
    return Table(headers, iter(rows), "csv", warnings, header_row=header_row,
                 last_row=text.count("\n") + 1)


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
    worksheet with a header row: an instructions sheet before it is passed over.  The
    archive is checked first (``_xlsx_extents``): calamine unpacks the shared strings
    whole, so it never sees an archive that unpacks past ``MAX_UNPACKED_BYTES``.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        extents = _xlsx_extents(data)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [
            m.name for m in book.sheets_metadata
            if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith(".Visible")
        ] or list(book.sheet_names[:1])
        if is_header is None:
            names = names[:1]
        for name in names:
            extent = extents.get(name, _Extent())
            _check_extent(name, (extent.rows, extent.columns))
            # calamine pads the rows above the used range, so row numbers count from
            # the sheet's top as a spreadsheet shows them.
            sheet = book.get_sheet_by_name(name)
            source = enumerate(sheet.iter_rows(), start=1)
            found = _find_header(((n, [_header_text(c) for c in r]) for n, r in source),
                                 is_header)
            if found is not None:
                if extent.unsaved:
                    # Its value is unknown: read as empty it overwrote the stored value
                    # (a station's 1,390 voters became 0) under a mere warning.
                    raise TabularError("formula_without_value", detail=name)
                table = _xlsx_table(name, found, source, sheet.merged_cell_ranges or [])
                table.last_row = extent.rows
                table.hidden_rows = sorted(r for r in extent.hidden if r > found[0])
                table.error_cells = _error_cells_of(extent, found[0])
                if table.hidden_rows:
                    table.warnings.append(HIDDEN_ROWS_WARNING)
                return table
    except TabularError:
        raise
    except (CalamineError, ValueError, OSError, zipfile.BadZipFile, zlib.error) as exc:
        raise _unreadable(str(exc)) from exc
    if is_header is None:
        raise _empty()
    raise HeaderNotFound(names)


def _error_cells_of(extent: _Extent, header_row: int) -> list[tuple[int, int, str, str]]:
    """The first error cell under the header of each column: (row, column index, cell
    reference, the saved error)."""
    first: dict[int, tuple[int, int, str, str]] = {}
    for letters, row, value in extent.errors:
        index = _column_number(letters.encode()) - 1
        if row > header_row and (index not in first or row < first[index][0]):
            first[index] = (row, index, f"{letters}{row}", value or "#?")
    return sorted(first.values())


def check_error_cells(table: Table, columns: Iterable[int]) -> None:
    """Refuse the table when a cell of one of ``columns`` (the indexes the import
    reads) holds a formula's error («#N/A», «#REF!», «#DIV/0!»), naming the first.

    calamine reads such a cell as empty, which would pass for a blank the user meant (an
    optional column left empty, a value kept); a column the import does not read (an
    office's VLOOKUP check, mapped to "ignore") may hold them."""
    read = set(columns)
    for row, index, cell, value in table.error_cells:
        if index in read:
            column = table.headers[index] if index < len(table.headers) else ""
            raise TabularError("error_cell", detail=table.sheet, row=row, column=column,
                               cell=cell, value=value)


_TAG = re.compile(rb"<(?:\w+:)?(?:sheet|Relationship)\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
# A cell with a value (a styled empty one has none) and its reference: as Excel, LibreOffice
# and openpyxl write it (a literal start, which the regex engine finds fast), and in any
# form (a namespace prefix, other attributes first), for parts written otherwise.
_VALUED_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>/]*>\s*<[vfi]')
_ANY_VALUED_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>/]*>\s*<(?:\w+:)?[vfi]'
)
_CHUNK = 8 << 20


def _attrs(tag: bytes) -> dict[str, str]:
    # Without namespace prefixes: a sheet's r:id is "id", a relationship's own is "Id".
    return {k.decode().rpartition(":")[2]: html.unescape(v.decode("utf-8", "replace"))
            for k, v in _ATTR.findall(tag)}


@dataclass
class _Extent:
    """What the sheet XML says before calamine reads it: the last row and column with
    a value; whether a formula has no saved value; the first cells holding an error
    value (column letters, row, the error as saved)."""

    rows: int = 0
    columns: int = 0
    unsaved: bool = False
    errors: list[tuple[str, int, str]] = field(default_factory=list)
    error_counts: dict[str, int] = field(default_factory=dict)  # per column letters
    hidden: set[int] = field(default_factory=set)  # hidden rows that hold a value


def _xlsx_extents(data: bytes) -> dict[str, _Extent]:
    """Each sheet's ``_Extent`` by sheet name, read from the sheet XML before calamine
    lays the whole rectangle out in memory; the archive refused first when it unpacks
    past ``MAX_UNPACKED_BYTES``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        _check_unpacked(archive)
        names = set(archive.namelist())
        sheets = [_attrs(t) for t in _TAG.findall(_member(archive, "xl/workbook.xml"))]
        rels = {a.get("Id", ""): a.get("Target", "") for a in (
            _attrs(t) for t in _TAG.findall(_member(archive, "xl/_rels/workbook.xml.rels")))}
        extents = {}
        for sheet in sheets:
            target = rels.get(sheet.get("id", ""), "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if "name" in sheet and part in names:
                extents[sheet["name"]] = _extent(archive, part)
    return extents


def _check_unpacked(archive: zipfile.ZipFile) -> None:
    """Refuse an archive whose parts unpack past ``MAX_UNPACKED_BYTES``.  The sizes are
    what the archive declares; zipfile never unpacks a part past its declared size and
    checks its checksum, so every part but the sheets (read whole by ``_extent``) is
    unpacked here once, in chunks, to catch a part that declares less than it holds
    before calamine unpacks it whole."""
    declared = sum(info.file_size for info in archive.infolist())
    if declared > MAX_UNPACKED_BYTES:
        raise TabularError("unpacked_too_large", count=-(-declared // _MB),
                           limit=MAX_UNPACKED_BYTES // _MB)
    for info in archive.infolist():
        if not info.filename.startswith("xl/worksheets/") and not info.is_dir():
            with archive.open(info) as stream:
                while stream.read(_CHUNK):
                    pass


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        return b""


# A formula whose cell closes with no computed value: no <v>, or an empty one.
_UNSAVED_FORMULA = re.compile(
    rb"<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
# A cell whose value is an error (t="e"), its reference, and the saved error when the
# <v> is in the same chunk.
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>')
_ERROR_VALUE = re.compile(rb"(?:(?!</?(?:\w+:)?c\b).){0,4096}?<(?:\w+:)?v>([^<]{0,64})<",
                          re.DOTALL)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="(\d{1,7})"')
_ERRORS_PER_COLUMN = 3  # kept per column: a title row above the header may hold one


def _extent(archive: zipfile.ZipFile, part: str) -> _Extent:
    extent = _Extent()
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            # A tag cut at the chunk's end is read again with the next chunk.
            cut = text.rfind(b"<", max(0, len(text) - 512))
            body, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            usual = body.count(b"<c ") == body.count(b'<c r="') and b":c " not in body
            cells = (_VALUED_CELL if usual else _ANY_VALUED_CELL).findall(body)
            extent.unsaved = extent.unsaved or (
                b"f>" in body and _UNSAVED_FORMULA.search(body) is not None)
            if b't="e"' in body:
                _error_cells(body, extent)
            if b'hidden="' in body:
                hidden = {int(m.group(1)) for t in _HIDDEN_ROW.finditer(body)
                          if (m := _ROW_NUMBER.search(t.group(0)))}
                extent.hidden |= hidden & {int(r) for _c, r in cells}
            if cells:
                extent.rows = max(extent.rows, max(map(int, (r for _c, r in cells))))
                widest = max({c for c, _r in cells}, key=lambda c: (len(c), c))
                extent.columns = max(extent.columns, _column_number(widest))
            if extent.rows > MAX_ROWS or extent.columns > MAX_COLUMNS:
                break  # already too large: the rest need not be read
    return extent


def _error_cells(body: bytes, extent: _Extent) -> None:
    for match in _ERROR_CELL.finditer(body):
        ref = _CELL_REF.search(match.group(1))
        if ref is None:
            continue
        letters = ref.group(1).decode()
        if extent.error_counts.get(letters, 0) >= _ERRORS_PER_COLUMN:
            continue
        extent.error_counts[letters] = extent.error_counts.get(letters, 0) + 1
        saved = _ERROR_VALUE.match(body, match.end())
        value = html.unescape(saved.group(1).decode("utf-8", "replace")) if saved else ""
        extent.errors.append((letters, int(ref.group(2)), value))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_extent(sheet: str, extent: tuple[int, int]) -> None:
    rows, columns = extent
    if rows > MAX_ROWS:
        raise _too_many_rows(rows, sheet)
    if columns > MAX_COLUMNS:
        raise TabularError("too_many_columns", detail=sheet, count=columns, limit=MAX_COLUMNS)


def _too_many_rows(rows: int, sheet: str) -> TabularError:
    return TabularError("too_many_rows", detail=sheet, count=rows, limit=MAX_ROWS)


Merged = list[tuple[tuple[int, int], tuple[int, int]]]


def _xlsx_table(
    name: str, found: tuple[int, list[str]], source: Iterator[tuple[int, list[Any]]],
    merged: Merged,
) -> Table:
    header_row, headers = found
    while headers and not headers[-1]:
        headers.pop()
    # Cells merged down several rows under the header (one office for a group of
    # people, one county for its stations) show one value on every row; calamine gives
    # it to the first row only, and the rows below would read as blank in that column.
    # (row, column) -> the merged range's top-left (row, column), rows counted from 1.
    below: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for (top, left), (bottom, _right) in merged:
        if top + 1 > header_row and bottom > top:
            for row in range(top + 2, bottom + 2):
                below.setdefault(row, []).append((left, (top + 1, left)))
    tops: dict[int, set[int]] = {}  # row -> the columns of ranges that start there
    for spans in below.values():
        for _column, (row, column) in spans:
            tops.setdefault(row, set()).add(column)
    values: dict[tuple[int, int], Cell] = {}

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        for number, row in source:
            cells = [_xlsx_cell(v) for v in row]
            for column in tops.get(number, ()):
                values[(number, column)] = cells[column] if column < len(cells) else None
            # Blank as in CSV: a row of empty or space-only cells is no row of data.
            if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                for column, origin in below.get(number, ()):
                    if column < len(cells) and cells[column] is None:
                        cells[column] = values.get(origin)
                yield number, cells

    return Table(headers, rows(), "xlsx", sheet=name, header_row=header_row)


def _empty() -> TabularError:
    return TabularError("empty")


def _unreadable(detail: str) -> TabularError:
    return TabularError("unreadable", detail=detail)


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
    try:
        for row in rows:
            sheet.append(_fitting([_xlsx_value(v) for v in row]))
    except ValueError:
        sheet.close()  # end openpyxl's row writer: nothing is left half written
        raise
    workbook.save(stream)


def _fitting(values: list[Cell]) -> list[Cell]:
    """``values``, or ValueError: openpyxl would cut a longer text without a word."""
    for value in values:
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise ValueError(
                f"a cell of {len(value):,} characters does not fit in XLSX "
                f"(at most {MAX_CELL_CHARS:,})"
            )
    return values


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
