"""Read uploaded tables (UTF-8 CSV or XLSX) into rows, reporting problems by file and line."""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, shown as `file:line: column: reason`."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


class TableInvalid(Exception):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Table:
    file: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (first line of the row, column -> raw text)
    # Rows that could not be split into cells; the other rows are still checked.
    problems: list[Problem] = field(default_factory=list)


XLSX_MAGIC = b"PK\x03\x04"

# C0 control characters other than tab, line feed and carriage return: PostgreSQL refuses NUL in
# text and none of them belongs in a registry record, so a cell holding one is refused by name.
CONTROL_CHARACTERS = frozenset(chr(code) for code in range(32)) - {"\t", "\n", "\r"}


def _control_problems(file: str, line: int, cells: dict[str, str]) -> list[Problem]:
    problems = []
    for column, text in cells.items():
        bad = sorted(set(text) & CONTROL_CHARACTERS)
        if bad:
            codes = ", ".join(f"U+{ord(char):04X}" for char in bad)
            problems.append(Problem(file, line, column or "(blank)",
                                    f"contains a control character ({codes}); remove it"))
    return problems


def _add_row(table: "Table", line: int, cells: dict[str, str]) -> None:
    """Keep a row, or report each cell holding a control character and drop the row."""
    problems = _control_problems(table.file, line, cells)
    if problems:
        table.problems += problems
    else:
        table.rows.append((line, cells))


def sniff_kind(data: bytes) -> str:
    """Tell an XLSX workbook from text by content, not by file name: 'xlsx' or 'csv'."""
    if data.startswith(XLSX_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        return "unknown"
    if b"\x00" in data[:4096]:
        return "unknown"
    return "csv"


def read_csv(file: str, data: bytes) -> Table:
    """Parse UTF-8 CSV bytes (a byte-order mark is allowed); raise TableInvalid if unreadable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableInvalid(_encoding_problems(file, data)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise TableInvalid([Problem(file, 1, "header", "the file is empty")]) from None
    except csv.Error as exc:
        raise TableInvalid([Problem(file, 1, "header", f"unreadable CSV: {exc}")]) from None
    table = Table(file, header, [])
    while True:
        # A quoted cell may span lines: a row is reported at the line it starts on.
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            table.problems.append(Problem(file, first_line, "row", f"unreadable CSV: {exc}"))
            break
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            table.problems.append(Problem(
                file, first_line, "row", f"has {len(values)} cells, the header has {len(header)}"))
            continue
        _add_row(table, first_line, dict(zip(header, (v.strip() for v in values), strict=True)))
    return table


def _encoding_problems(file: str, data: bytes) -> list[Problem]:
    """Report every line that is not UTF-8."""
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(file, number, "encoding",
                                    f"not UTF-8 (byte 0x{line[exc.start]:02x}); save the file "
                                    "as UTF-8"))
    return problems


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(file: str, data: bytes) -> Table:
    """Read the first sheet of an XLSX workbook; row numbers are the sheet's."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise TableInvalid([Problem(file, 1, "file", f"not a readable XLSX workbook ({exc})")]) \
            from None
    sheet = workbook.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    first = next(rows_iter, None)
    if first is None:
        raise TableInvalid([Problem(file, 1, "header", "the sheet is empty")])
    header = [_cell_text(cell) for cell in first]
    while header and not header[-1]:
        header.pop()
    table = Table(file, header, [])
    for number, cells in enumerate(rows_iter, start=2):
        texts = [_cell_text(cell) for cell in cells][: len(header)]
        if not any(texts):
            continue
        texts += [""] * (len(header) - len(texts))
        _add_row(table, number, dict(zip(header, texts, strict=True)))
    workbook.close()
    return table


def read_table(file: str, data: bytes) -> Table:
    """Read CSV or XLSX bytes, told apart by their content."""
    kind = sniff_kind(data)
    if kind == "xlsx":
        return read_xlsx(file, data)
    if kind == "csv":
        return read_csv(file, data)
    raise TableInvalid([Problem(file, 1, "file", "neither a UTF-8 CSV file nor an XLSX workbook")])


def check_columns(table: Table, *, required: list[str], optional: list[str] = ()) -> list[Problem]:
    """Report missing, unknown and repeated columns of a table's header."""
    problems = [Problem(table.file, 1, name, "missing column")
                for name in required if name not in table.header]
    known = set(required) | set(optional)
    problems += [Problem(table.file, 1, name or "(blank)", "unknown column")
                 for name in table.header if name not in known]
    seen = set()
    for name in table.header:
        if name in seen:
            problems.append(Problem(table.file, 1, name, "repeated column"))
        seen.add(name)
    return problems


# Cell parsers: each takes the raw text and returns a value or raises ValueError with a reason.


def parse_text(text: str) -> str:
    return text


def parse_optional_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 date (YYYY-MM-DD)") from None


def parse_optional_decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a decimal number (use '.' as the decimal mark)") \
            from None
    if not value.is_finite():
        raise ValueError(f"'{text}' is not a finite number")
    return value


def parse_optional_int(text: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a whole number") from None


def parse_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def parse_int_list(text: str) -> list[int]:
    items = parse_list(text)
    try:
        return [int(item) for item in items]
    except ValueError:
        raise ValueError(f"'{text}' is not a ';'-separated list of whole numbers") from None
