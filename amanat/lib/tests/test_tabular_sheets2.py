"""``lib.tabular`` against a workbook that lies about its parts' sizes (review
docs/reviews/2026-12-sheets2.md, F2): a part that unpacks to more than its header
declares is refused before calamine unpacks it."""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl
import pytest

from amanat.lib.tabular import TabularError, read_table


def _lying(part: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["کد ملی", "نام"])
    sheet.append(["1", "x"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == part:
                body += b"<!--" + b"a" * 3_000_000 + b"-->"
            archive.writestr(info.filename, body)
    data = bytearray(out.getvalue())
    name = part.encode()
    at = data.find(name)
    while at >= 0:  # the local header (name at 30) and the central directory's (at 46)
        for signature, start, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
            if data[at - start:at - start + 4] == signature:
                struct.pack_into("<I", data, at - start + size_at, 4096)
        at = data.find(name, at + 1)
    return bytes(data)


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/styles.xml"])
def test_a_part_larger_than_it_declares_is_refused(part: str) -> None:
    with pytest.raises(TabularError) as refused:
        read_table(_lying(part), filename="b.xlsx")
    assert refused.value.reason == "unreadable" and "CRC" in refused.value.detail


def test_utf16_without_a_mark_is_read_and_a_stray_nul_is_binary() -> None:
    text = "کد ملی,نام\r\n0012345679,علی\r\n"
    table = read_table(text.encode("utf-16-le"), filename="a.csv")
    assert (table.headers, list(table.rows)) == (["کد ملی", "نام"], [(2, ["0012345679", "علی"])])
    table = read_table(text.encode("utf-16-be"), filename="a.csv")
    assert table.headers == ["کد ملی", "نام"]
    stray = (text * 20 + "x\x00\r\n").encode()
    with pytest.raises(TabularError) as refused:
        read_table(stray, filename="a.csv")
    assert (refused.value.reason, refused.value.row) == ("binary", 41)
