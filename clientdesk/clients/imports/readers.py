"""Reading tabular files the way Russian users produce them: Excel and 1C exports.

CSV comes in UTF-8 (with or without BOM), Windows-1251 or UTF-16 ("Unicode text" from Excel),
separated by ';', ',' or tabs; XLSX is read with openpyxl in read-only mode. Either way the file
is streamed row by row and never held in memory, and every row keeps its number as a
spreadsheet shows it (the header is usually row 1), so that reports can point at it.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

Cell = Any  # str for CSV; str, int, float, datetime, date, bool or None for XLSX
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (";", ",", "\t", "|")
# 1C and accounting exports often put a title and a blank line above the real header.
HEADER_SEARCH_ROWS = 15
SNIFF_LINES = 200


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why in the user's words."""


@dataclass
class TableInfo:
    """What was detected about a file: format, encoding, delimiter, header row and titles."""

    fmt: str  # "csv" or "xlsx"
    headers: list[str]
    header_row: int  # 1-based, as a spreadsheet numbers rows
    encoding: str = ""
    delimiter: str = ""
    rows_estimate: int = 0
    notes: list[str] = field(default_factory=list)


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(path)


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample[:200].count(b"\x00") > 20:
        # UTF-16 without a BOM: ASCII characters have a zero byte on one side.
        return "utf-16-le" if sample[1:200:2].count(b"\x00") > 10 else "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: the sample may end in the middle of a multi-byte character.
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter under which most sample rows have as many fields as the header.

    csv.Sniffer guesses wrong on files with decimal commas ('1 234,56' in a ';' file), so each
    candidate is scored on field-count agreement with the header line instead."""
    best, best_score = ";", (-1, 0)
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)]
        if not rows:
            continue
        header_index = _header_index([list(r) for r in rows])
        width = len(rows[header_index])
        if width < 2:
            continue
        agreeing = sum(1 for r in rows[header_index:] if len(r) == width)
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header_index(rows: list[list[Cell]]) -> int:
    """Index of the first row with at least two filled cells (a title above it has one)."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in row if c is not None and str(c).strip()) >= 2:
            return i
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(c is not None and str(c).strip() for c in row):
            return i
    return 0


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _header_titles(row: list[Cell]) -> list[str]:
    titles = [("" if c is None else str(c)).strip() for c in row]
    while titles and not titles[-1]:
        titles.pop()
    return [t or _("Column %(n)s") % {"n": i + 1} for i, t in enumerate(titles)]


def inspect(path: Path) -> TableInfo:
    """Detects format, encoding, delimiter and header of the file, reading only its start."""
    if not path.exists() or path.stat().st_size == 0:
        raise ImportFileError(_("The file is empty."))
    if is_xlsx(path):
        return _inspect_xlsx(path)
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="ignore")
    lines = text.splitlines(keepends=True)
    if len(sample) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut short
    lines = lines[:SNIFF_LINES]
    delimiter = _sniff_delimiter(lines)
    rows = list(csv.reader(lines, delimiter=delimiter))
    if not rows:
        raise ImportFileError(_("The file has no rows."))
    header_index = _header_index([list(r) for r in rows])
    headers = _header_titles(list(rows[header_index]))
    if not headers:
        raise ImportFileError(_("The file has no header row with column titles."))
    per_line = 2 if encoding.startswith("utf-16") else 1
    estimate = max(_count_lines(path) // per_line - header_index - 1, 0)
    return TableInfo(
        fmt="csv",
        headers=headers,
        header_row=header_index + 1,
        encoding=encoding,
        delimiter=delimiter,
        rows_estimate=estimate,
    )


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises a zoo of exceptions for broken files
        raise ImportFileError(
            _("The file could not be read as an Excel workbook (.xlsx): %(error)s") % {"error": exc}
        ) from exc


def _inspect_xlsx(path: Path) -> TableInfo:
    wb = _open_workbook(path)
    try:
        ws = wb.worksheets[0]
        head: list[list[Cell]] = []
        for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True):
            head.append(list(row))
        if not head:
            raise ImportFileError(_("The first sheet of the workbook is empty."))
        header_index = _header_index(head)
        headers = _header_titles(head[header_index])
        if not headers:
            raise ImportFileError(_("The file has no header row with column titles."))
        estimate = max((ws.max_row or 0) - header_index - 1, 0)
    finally:
        wb.close()
    return TableInfo(
        fmt="xlsx", headers=headers, header_row=header_index + 1, rows_estimate=estimate
    )


@contextmanager
def open_rows(path: Path, info: TableInfo) -> Iterator[Iterator[tuple[int, list[Cell]]]]:
    """Yields an iterator of (row number, cells) for the data rows below the header.

    Blank rows are skipped but still counted, so numbers match what the user sees."""
    if info.fmt == "xlsx":
        wb = _open_workbook(path)
        try:
            yield _xlsx_rows(wb.worksheets[0], info.header_row)
        finally:
            wb.close()
    else:
        with path.open(encoding=info.encoding, newline="", errors="strict") as fh:
            yield _csv_rows(fh, info)


def _csv_rows(fh: io.TextIOBase, info: TableInfo) -> Iterator[tuple[int, list[Cell]]]:
    reader = csv.reader(fh, delimiter=info.delimiter)
    number = 0
    try:
        for row in reader:
            number += 1
            if number <= info.header_row:
                continue
            if not any(c.strip() for c in row):
                continue
            yield number, row
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "Row %(row)s cannot be decoded as %(encoding)s: save the file again as "
                "“CSV UTF-8” and upload it once more."
            )
            % {"row": number + 1, "encoding": info.encoding}
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(
            _("Row %(row)s is not valid CSV (%(error)s).") % {"row": number + 1, "error": exc}
        ) from exc


def _xlsx_rows(ws: Any, header_row: int) -> Iterator[tuple[int, list[Cell]]]:
    for number, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True)):
        cells = list(row)
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        yield header_row + 1 + number, cells
