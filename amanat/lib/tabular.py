"""Reading and writing spreadsheets (CSV and XLSX), Django-free.

Reading gives a header row and an iterator of data rows, each paired with the row
number the user sees in a spreadsheet program (the header is row 1).  CSV comes as
UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode text"), or, failing
UTF-8, Windows-1256 (what Persian Windows Excel writes); the delimiter is sniffed from
the header line.  XLSX is read with openpyxl in read-only mode.

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


def _read_xlsx(data: bytes) -> Table:
    """Read the first sheet; our streaming reader first, openpyxl for anything unusual."""
    try:
        headers, rows = _XlsxReader(data).read()
    except TabularError:
        raise
    except Exception:  # an XLSX shape the fast reader does not know: let openpyxl try
        return _read_xlsx_openpyxl(data)
    return Table(headers, rows, "xlsx")


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that display a date or time (ECMA-376 18.8.30).
_T_TAG, _IS_TAG = f"{_NS}t", f"{_NS}is"
_DATE_FORMAT_IDS = {*range(14, 23), 27, 30, 36, 45, 46, 47, 50, 57}
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)


class _XlsxReader:
    """A streaming reader of an XLSX's first sheet with the C-accelerated ElementTree.

    openpyxl's read-only mode spends ~20 µs a cell in Python; national files have 1.5
    million cells.  This reader handles what spreadsheet programs write: shared and
    inline strings, numbers, booleans, and numbers styled as dates.
    """

    def __init__(self, data: bytes) -> None:
        import zipfile

        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise _unreadable(str(exc)) from exc

    def read(self) -> tuple[list[str], Iterator[tuple[int, list[Cell]]]]:
        self.shared = self._shared_strings()
        self.date_styles = self._date_styles()
        rows = self._rows(self._first_sheet())
        try:
            number, header_cells = next(rows)
        except StopIteration:
            raise _empty() from None
        if number != 1:
            raise ValueError("the header is not on row 1")  # openpyxl will say more
        headers = ["" if c is None else str(c).strip() for c in header_cells]
        while headers and not headers[-1]:
            headers.pop()
        data_rows = (
            (n, cells) for n, cells in rows if any(c is not None and c != "" for c in cells)
        )
        return headers, data_rows

    def _open(self, name: str) -> IO[bytes]:
        """Open a part of the package, refusing DTDs (no spreadsheet needs one).

        Entity tricks need a DTD in the prolog; expat (>= 2.4) also caps entity
        amplification and ElementTree never fetches external entities.
        """
        with self.zip.open(name) as stream:
            head = stream.read(65536)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise _unreadable(f"{name} declares a DTD")
        return self.zip.open(name)

    def _parse(self, name: str) -> Any:
        from xml.etree.ElementTree import parse

        with self._open(name) as stream:
            return parse(stream).getroot()  # noqa: S314 -- DTDs refused in _open

    def _first_sheet(self) -> str:
        workbook = self._parse("xl/workbook.xml")
        sheet = workbook.find(f"{_NS}sheets/{_NS}sheet")
        rel_id = sheet.get(f"{_REL_NS}id")
        for rel in self._parse("xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL_NS}Relationship"):
            if rel.get("Id") == rel_id:
                target = rel.get("Target")
                return target.lstrip("/") if target.startswith("/") else "xl/" + target
        raise ValueError("first sheet not found")

    def _shared_strings(self) -> list[str]:
        from xml.etree.ElementTree import iterparse

        if "xl/sharedStrings.xml" not in self.zip.namelist():
            return []
        strings = []
        with self._open("xl/sharedStrings.xml") as stream:
            for _event, element in iterparse(stream):  # noqa: S314 -- see _open
                if element.tag == f"{_NS}si":
                    strings.append(self._text_of(element))
                    element.clear()
        return strings

    @staticmethod
    def _text_of(element: Any) -> str:
        if len(element) == 1 and element[0].tag == _T_TAG:  # plain text: the common case
            return element[0].text or ""
        # Rich text has several runs; phonetic guides (rPh) are not part of the value.
        parts = [t.text or "" for t in element.iter(_T_TAG)]
        for phonetic in element.iter(f"{_NS}rPh"):
            for t in phonetic.iter(f"{_NS}t"):
                parts.remove(t.text or "")
        return "".join(parts)

    def _date_styles(self) -> set[str]:
        if "xl/styles.xml" not in self.zip.namelist():
            return set()
        styles = self._parse("xl/styles.xml")
        date_formats = set(_DATE_FORMAT_IDS)
        for fmt in styles.iter(f"{_NS}numFmt"):
            code = (fmt.get("formatCode") or "").lower()
            # Strip quoted literals and colours, then look for date tokens.
            bare = "".join(code.split('"')[::2])
            if any(token in bare for token in ("yy", "dd", "mmm", "h:mm", "d/m", "m/d")):
                date_formats.add(int(fmt.get("numFmtId", "0")))
        xfs = styles.find(f"{_NS}cellXfs")
        if xfs is None:
            return set()
        return {
            str(index) for index, xf in enumerate(xfs.findall(f"{_NS}xf"))
            if int(xf.get("numFmtId", "0")) in date_formats
        }

    def _rows(self, sheet: str) -> Iterator[tuple[int, list[Cell]]]:
        from xml.etree.ElementTree import iterparse

        row_tag, value_tag = f"{_NS}row", f"{_NS}v"
        expected = 1
        with self._open(sheet) as stream:
            for _event, element in iterparse(stream):  # noqa: S314 -- see _open
                if element.tag != row_tag:
                    continue
                number = int(element.get("r") or expected)
                cells: list[Cell] = []
                for cell in element:
                    ref = cell.get("r")
                    if ref is not None:
                        column = _column_index(ref)
                        if column > len(cells):
                            cells.extend([None] * (column - len(cells)))
                    cells.append(self._value(cell, cell.find(value_tag)))
                element.clear()
                expected = number + 1
                yield number, cells

    def _value(self, cell: Any, value: Any) -> Cell:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_IS_TAG)
            return "" if inline is None else self._text_of(inline)
        if value is None or value.text is None:
            return None
        text = value.text
        if kind == "s":
            return self.shared[int(text)]
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text == "1"
        number = float(text)
        if cell.get("s") in self.date_styles:
            return _EXCEL_EPOCH + datetime.timedelta(days=number)
        if number.is_integer() and "." not in text and "E" not in text:
            return int(number)
        return number


def _column_index(ref: str) -> int:
    """Zero-based column of a cell reference such as ``AB12``."""
    index = 0
    for char in ref:
        if char.isdigit():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


def _read_xlsx_openpyxl(data: bytes) -> Table:
    import openpyxl  # imported here: CSV-only callers should not pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors)
        raise _unreadable(str(exc)) from exc
    sheet = workbook.worksheets[0]
    # Some writers store no (or a wrong) dimension; reset makes openpyxl trust the rows.
    sheet.reset_dimensions()
    source = sheet.iter_rows(values_only=True)
    try:
        header_cells = next(source)
    except StopIteration:
        workbook.close()
        raise _empty() from None
    headers = ["" if c is None else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for number, values in enumerate(source, start=2):
                if any(v is not None and v != "" for v in values):
                    yield number, [v if isinstance(v, _CELL_TYPES) else str(v) for v in values]
        finally:
            workbook.close()

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
