"""A spreadsheet as a county office sends it, built in code with openpyxl.

An instructions sheet comes first; the data sheet has a title row and a blank row above
the header; headers are Persian variants (Arabic kaf/yeh, ZWNJ in odd places, a unit in
brackets, a row counter and a remarks column); codes are typed as numbers (their leading
zeros lost); numbers carry Persian digits, the Arabic decimal separator, comma decimals
and thousands separators; yes/no is بله/دارد/ندارد/خیر; one fibre date is a real
(Gregorian) date cell; many cells are empty.

Rows are for Kerman county (``small_geo``: code 815, its city 81501 and rural district
8150101); code 201 is the ``registry``'s station 201, the others are new.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl

ZWNJ = "\u200c"
HEADERS = [
    "ردیف", "شماره شعبه", "كد شهرستان", "كد شهر يا آبادي", "نام محل استقرار", "آدرس",
    "عرض جغرافیائی", "طول جغرافيايي", "نوع مکان", "شعبه سیار", "مسیر حرکت",
    "تعداد واجدین", "ظرفیت شعبه (نفر)", f"دوربین مدار{ZWNJ}بسته", f"تعداد دوربین{ZWNJ}ها",
    "فیبر نوری", "تاریخ اتصال فیبر", "مولد برق", f"مناسب{ZWNJ}سازی", "شعبه حساس",
    "علت حساسیت", "وضعیت شعبه", "توضیحات",
]
ROWS: list[list[Any]] = [
    [1, 1, 815, 81501, f"دبستان  شهید{ZWNJ}{ZWNJ} باهنر", "کرمان، خیابان شفا", "۳۰٫۲۸۵",
     "57,075", "مدرسه", "خیر", None, "۱٬۲۰۰", "1,500", "زنده", "۲", "بله", None, "دارد",
     "بله", "خیر", None, "فعال", "تلفن مدیر: ۰۹۱۲"],
    [2, 201, "۸۱۵", None, "مدرسه کرمان", None, 30.29, 57.07, "school", "ندارد", None, 700,
     None, "ضبط", 1, "در دست اجرا", datetime.datetime(2026, 3, 1), "بله", "ندارد", "خیر",
     None, "فعال", None],
    [3, 3, 815, 8150101, "مسجد جامع اختیارآباد", None, "30/32", "56.93", "مسجد", "بله",
     "اختیارآباد - باغین", "۴۵۰", None, "ندارد", None, "ندارد", None, "ندارد", "خیر",
     "بله", "نزدیک مرز", "فعال", None],
    [4, 4, 815, None, "خانه بهداشت باغین", "باغین", None, None, "خانه بهداشت", "خیر", None,
     "300", "۳۵۰", "ندارد", 0, "در دست اجرا", "۱۴۰۵/۰۲/۱۵", "خیر", "بله", "خیر", None,
     "فعال", None],
]


def messy_xlsx() -> bytes:
    book = openpyxl.Workbook()
    guide = book.active
    guide.title = "راهنما"
    for line in ("راهنمای تکمیل فهرست شعب", "کد شعبه: شماره شعبه در شهرستان",
                 "نام: نام محل استقرار شعبه", "برای بله/خیر «دارد» یا «ندارد» بنویسید"):
        guide.append([line])
    data = book.create_sheet("شعب")
    data.append(["فهرست شعب اخذ رأی شهرستان کرمان - انتخابات ۱۴۰۵"])
    data.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    data.append([])
    data.append(HEADERS)
    for row in ROWS:
        data.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
