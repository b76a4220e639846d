"""What an attachment is, judged by its content, never by its name or the browser's word. Pure.

Accepted: PDF, XLSX workbooks and CSV (UTF-8 text). An XLSX is a zip archive: its members'
declared sizes are checked before anything is unpacked, so a zip bomb is refused unopened.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
EXTENSIONS = {PDF: "pdf", XLSX: "xlsx", CSV: "csv"}
# An unpacked workbook may be at most this large, and at most this many times its packed size.
XLSX_MAX_UNPACKED = 100 * 1024 * 1024
XLSX_MAX_RATIO = 100


class UploadError(ValueError):
    pass


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def _xlsx(data: bytes) -> Sniffed:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            unpacked = sum(member.file_size for member in members)
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UploadError("The file looks like a zip archive but cannot be read.") from exc
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise UploadError("Zip archives are accepted only as XLSX workbooks.")
    if unpacked > XLSX_MAX_UNPACKED or unpacked > XLSX_MAX_RATIO * max(len(data), 1):
        raise UploadError("The workbook unpacks to an implausible size (a zip bomb?); "
                          "it was not opened.")
    return Sniffed(XLSX, "xlsx")


def sniff(data: bytes, *, max_bytes: int) -> Sniffed:
    """Say what the upload is, or raise UploadError saying why it is refused."""
    if not data:
        raise UploadError("The file is empty.")
    if len(data) > max_bytes:
        raise UploadError(f"The file is {len(data):,} bytes; the limit is {max_bytes:,}.")
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise UploadError("The PDF is truncated (no end-of-file marker).")
        return Sniffed(PDF, "pdf")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx(data)
    if b"\x00" in data:
        raise UploadError("Accepted files are PDF, XLSX and CSV; this one is binary.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError("Accepted files are PDF, XLSX and CSV; a CSV must be UTF-8.") from exc
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if "," not in first_line and ";" not in first_line and "\t" not in first_line:
        raise UploadError("Accepted files are PDF, XLSX and CSV; this text has no CSV header.")
    return Sniffed(CSV, "csv")
