"""The filings' part of the interchange bundle (DESIGN 6.1), on top of the deals' part.

One import reads all twelve files and applies them in dependency order -- everything the deals'
import applies, then filings.csv, then filing_values.csv -- inside one transaction with one list
of problems (`file:line: column: reason`): if any row is bad, nothing is written.

* A filing is keyed by its bundle id (`external_ref`); `issuer_id` and `deal_id` are the bundle
  ids of an issuer and a deal, stored or in the same bundle. `template` is `code@version`, or
  `code` for the active version. A new filing is opened through `filing_create` (so the rules
  of the pages hold: the period's form, the deal's originator, one standing filing per
  template and period); an empty `due_date` is the template's, another is set while a draft.
* filing_values.csv holds one row per answered field. The value cell holds the value, or, when
  `nd_code` is given, the reason for omission that a No-Data answer needs. A filing with rows
  there gets exactly those answers, written while it is a draft (`filing_save_answers`); a
  filing without rows keeps what it has.
* A filing whose status in the file is past draft must then validate as a submission from the
  pages does (every invalid answer is reported on its row of filing_values.csv, a missing one
  on the filing's status); `filing_import_status` gives it an accession number and the status,
  with one `imported` event in the ledger. Drafts may be incomplete.
* A stored filing past draft never changes: a row that differs from it (status, submission
  time, header or answers) is a problem; the filing must be amended on the pages.
* Importing the same bundle again changes nothing and writes no audit entry.

Bundles carry no attachments nor amendment links. An answer to a file field of a new filing
past draft cannot validate (its file is not there). A new filing for the template, period and
deal of a returned or accepted filing amends the latest of them, as it could only be made on the
pages; filings are applied (and exported) in order of submission, drafts last, so a filing comes
before its amendments. A new filing on a retired template version is refused, as on the pages,
unless it is such an amendment.
"""

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.tabular import Problem, Table, TableInvalid, parse_optional_date
from deals import bundle as deals_bundle
from deals.bundle import BundleImporter, Column, ImportSummary, _shown, read_bundle
from disclosure import services
from disclosure.choices import AMENDABLE_STATUSES, FilingStatus, TemplateStatus
from disclosure.models import DisclosureTemplate, Filing
from disclosure.periods import PeriodError, parse_period
from disclosure.quality import Answer
from ipregistry.bundle import write_bundle

__all__ = ["FILES", "export_bundle", "export_rows", "import_bundle", "import_upload",
           "read_bundle", "read_upload"]

FILINGS = "filings.csv"
VALUES = "filing_values.csv"

# An uploaded .zip is refused unread when its members would unpack to more than this many
# times its own size, or to more than MAX_UNPACKED_BYTES.
MAX_EXPANSION = 100
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or the end of an empty archive


# --- cell parsers ---------------------------------------------------------------------------


def parse_template_key(text: str) -> tuple[str, int | None]:
    """`code@version`, or `code` alone for the active version: (code, version or None)."""
    code, at, version = text.partition("@")
    if not code:
        raise ValueError("name the template as code@version (e.g. issuer-esg-annual@1) or by "
                         "its code")
    if not at:
        return code, None
    if not version.isdigit() or int(version) < 1:
        raise ValueError(f"'{text}' is not code@version (e.g. issuer-esg-annual@1)")
    return code, int(version)


def parse_period_cell(text: str) -> str:
    try:
        return str(parse_period(text))
    except PeriodError as exc:
        raise ValueError(f"'{text}' is not a period. {exc}") from None


def parse_filing_status(text: str) -> str:
    # An empty cell is a missing value: the filing is a draft.
    if not text:
        return FilingStatus.DRAFT
    if text not in FilingStatus.values:
        raise ValueError(f"'{text}' is not a filing status (one of "
                         + ", ".join(FilingStatus.values) + ")")
    return text


def parse_optional_datetime(text: str) -> datetime | None:
    """ISO 8601 date and time; a date alone is its midnight, a time without offset local."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 date and time "
                         "(e.g. 2025-03-01T10:30:00+08:00)") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# --- files ----------------------------------------------------------------------------------

FILING_COLUMNS = [
    Column("filing_id"), Column("issuer_id"), Column("deal_id"),
    Column("template", parse_template_key), Column("period", parse_period_cell),
    Column("status", parse_filing_status), Column("submitted_at", parse_optional_datetime),
    Column("due_date", parse_optional_date)]
VALUE_COLUMNS = [Column("filing_id"), Column("field"), Column("value"), Column("nd_code")]

FILING_FILES = {FILINGS: FILING_COLUMNS, VALUES: VALUE_COLUMNS}
# Every file of the bundle, in import order.
FILES = {**deals_bundle.FILES, **FILING_FILES}

# Fields of a filing reported under the bundle column that carries them.
FILING_FIELD_COLUMNS = {"issuer": "issuer_id", "deal": "deal_id", "external_ref": "filing_id"}


def _renamed(exc: ValidationError) -> ValidationError:
    """The error with a filing's fields named by their bundle columns."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({FILING_FIELD_COLUMNS.get(name, name): messages
                            for name, messages in exc.message_dict.items()})


def _answer(values: dict) -> Answer:
    """A filing_values.csv row as an answer: with an ND code, the value cell is the reason."""
    if values["nd_code"]:
        return Answer(nd_code=values["nd_code"], nd_reason=values["value"])
    return Answer(value=values["value"])


def _answer_cells(answer: Answer) -> list[str]:
    """The value and nd_code cells of an answer."""
    if answer.nd_code:
        return [answer.nd_reason, answer.nd_code]
    return [answer.value, ""]


def _shown_answer(answer: Answer) -> str:
    if answer.nd_code:
        return f"{answer.nd_code} ({_shown(answer.nd_reason)})"
    return _shown(answer.value)


def _submission_order(submitted_at: datetime | None) -> tuple:
    return (submitted_at is None, submitted_at or "")


def _amended(issuer, deal, template: DisclosureTemplate, period: str) -> Filing | None:
    """The filing a new one amends: the latest returned or accepted filing for the same
    template, period (and deal), which the pages answer only by amending. Bundles carry no
    link; this finds it again when filings come in order of submission."""
    latest = Filing.objects.filter(
        issuer=issuer, deal=deal, template__code=template.code, period=period).exclude(
        status__in=[FilingStatus.WITHDRAWN, FilingStatus.REJECTED]).order_by("-id").first()
    return latest if latest is not None and latest.status in AMENDABLE_STATUSES else None


def _time_cell(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


class _Values:
    """Parsed rows of filing_values.csv, grouped by filing."""

    def __init__(self):
        self.by_filing: dict[str, list[tuple[int, dict]]] = {}
        self.flawed: set[str] = set()  # filings with a bad row in the file


class FilingImporter(BundleImporter):
    """Apply every file of a bundle -- registry, deals and filings -- in one transaction."""

    file_columns = FILES

    def __init__(self, *, actor=None):
        super().__init__(actor=actor)
        self.bad_keys[FILINGS] = set()
        self.filings: dict[str, Filing] = {}
        self.templates: dict[tuple[str, int | None], DisclosureTemplate | None] = {}

    def _apply(self, tables: dict[str, Table]) -> None:
        super()._apply(tables)
        values = self._group_values(tables)
        in_file = set()
        if FILINGS in tables:
            table = tables[FILINGS]
            self._preload(table)
            self._preload_deals(table)
            self._preload_filings({raw.get("filing_id", "") for _, raw in table.rows})
            rows = []
            for line, raw, row in self._parse(table, lambda v: (v["filing_id"],), "filing_id"):
                in_file.add(raw.get("filing_id", ""))
                if row is None:
                    self.bad_keys[FILINGS].add(raw.get("filing_id", ""))
                else:
                    rows.append((line, row))
            # In order of submission, drafts last: a filing comes before its amendments.
            rows.sort(key=lambda item: _submission_order(item[1]["submitted_at"]))
            for line, row in rows:
                filing = self._attempt(FILINGS, line, self._filing, line, row)
                if filing is None:
                    # Its answers are not checked: the filing's own problem is reported.
                    self.bad_keys[FILINGS].add(row["filing_id"])
                    continue
                clean = self._apply_values(filing, values)
                if clean and row["status"] != FilingStatus.DRAFT and filing.is_draft:
                    self._import_status(filing, line, row, values)
        # Filings only named in filing_values.csv: stored ones, kept at their status.
        for key in sorted(set(values.by_filing) - in_file):
            try:
                filing = self._reference(VALUES, 0, "filing_id", key, self.filings, FILINGS)
            except ValidationError as exc:
                for line, _row in values.by_filing[key]:
                    self.problems += deals_bundle.validation_problems(VALUES, line, exc)
                continue
            self._apply_values(filing, values)

    # Filings

    def _preload_filings(self, keys: set[str]) -> None:
        keys = keys - set(self.filings) - {""}
        if keys:
            self.filings.update(
                (filing.external_ref, filing) for filing in Filing.objects.select_related(
                    "issuer", "deal", "template").filter(external_ref__in=keys))

    def _template(self, key: tuple[str, int | None],
                  stored: Filing | None) -> DisclosureTemplate:
        code, version = key
        if version is None and stored is not None and stored.template.code == code:
            return stored.template  # the code alone names the version the filing is on
        if key not in self.templates:
            query = DisclosureTemplate.objects.filter(code=code)
            self.templates[key] = (query.filter(version=version) if version is not None
                                   else query.filter(status=TemplateStatus.ACTIVE)).first()
        template = self.templates[key]
        if template is None:
            raise ValidationError({"template": (
                f"unknown template {code}@{version}" if version is not None else
                f"template {code} has no active version (or is unknown)")})
        return template

    def _filing(self, line: int, values: dict) -> Filing:
        """Open the filing of a filings.csv row, or check it against the stored one."""
        key, status, submitted_at = values["filing_id"], values["status"], values["submitted_at"]
        if not key:
            raise ValidationError({"filing_id": "This field cannot be blank."})
        issuer = self._reference(FILINGS, line, "issuer_id", values["issuer_id"], self.issuers,
                                 "issuers.csv")
        deal = self._deal_reference(values["deal_id"]) if values["deal_id"] else None
        stored = self.filings.get(key)
        template = self._template(values["template"], stored)
        if status == FilingStatus.DRAFT and submitted_at is not None:
            raise ValidationError({"submitted_at": "a draft has not been submitted; leave it "
                                                   "empty"})
        if status != FilingStatus.DRAFT and submitted_at is None:
            raise ValidationError({"submitted_at": f"required for a filing that is {status}"})
        if stored is not None:
            filing = self._check_stored(stored, values, issuer=issuer, deal=deal,
                                        template=template)
            self.summary.count(FILINGS, False)
            return filing
        try:
            filing = services.filing_create(
                actor=self.actor, issuer=issuer, template=template, period=values["period"],
                deal=deal, amends=_amended(issuer, deal, template, values["period"]),
                external_ref=key)
            if values["due_date"] is not None:
                filing = services.filing_set_due_date(actor=self.actor, filing=filing,
                                                      due_date=values["due_date"])
        except ValidationError as exc:
            raise _renamed(exc) from None
        self.filings[key] = filing
        self.summary.count(FILINGS, True)
        return filing

    def _check_stored(self, filing: Filing, values: dict, *, issuer, deal,
                      template) -> Filing:
        """A stored filing's header cannot change; only a draft's due date can."""
        stored = {"issuer_id": filing.issuer.external_ref,
                  "deal_id": filing.deal.external_ref if filing.deal else None,
                  "template": filing.template.key, "period": filing.period,
                  "due_date": filing.due_date}
        given = {"issuer_id": issuer.external_ref, "deal_id": deal.external_ref if deal else None,
                 "template": template.key, "period": values["period"],
                 "due_date": values["due_date"] or filing.due_date}
        if not filing.is_draft:
            stored.update(status=filing.status, submitted_at=filing.submitted_at)
            given.update(status=values["status"], submitted_at=values["submitted_at"])
        changed = [name for name in stored if stored[name] != given[name]]
        if not filing.is_draft and changed:
            raise ValidationError({
                name: f"filing {filing.external_ref} is {filing.status}: submitted filings "
                      f"never change; amend it (stored: {_shown(stored[name])})"
                for name in changed})
        fixed = [name for name in changed if name != "due_date"]
        if fixed:
            raise ValidationError({
                name: f"filing {filing.external_ref} has {name} {_shown(stored[name])}; it "
                      "cannot change (open a new filing)" for name in fixed})
        if changed:
            try:
                filing = services.filing_set_due_date(actor=self.actor, filing=filing,
                                                      due_date=values["due_date"])
            except ValidationError as exc:
                raise _renamed(exc) from None
            self.filings[filing.external_ref] = filing
        return filing

    def _import_status(self, filing: Filing, line: int, row: dict, values: _Values) -> None:
        """Move a draft to its status in the file, if its answers validate."""
        status = row["status"]
        report = services.filing_report(filing)
        if not report.is_valid:
            rows = {value_row["field"]: (value_line, value_row) for value_line, value_row
                    in values.by_filing.get(filing.external_ref, [])}
            for field, messages in report.errors.items():
                for message in messages:
                    if field in rows:
                        value_line, value_row = rows[field]
                        column = "nd_code" if value_row["nd_code"] else "value"
                        self.problems.append(Problem(VALUES, value_line, column, message))
                    else:
                        self.problems.append(Problem(
                            FILINGS, line, "status",
                            f"a filing that is {status} must be complete: {field}: {message}"))
            return
        moved = self._attempt(FILINGS, line, lambda: services.filing_import_status(
            actor=self.actor, filing=filing, status=status, submitted_at=row["submitted_at"]))
        if moved is not None:
            self.filings[moved.external_ref] = moved

    # Answers

    def _group_values(self, tables: dict[str, Table]) -> _Values:
        values = _Values()
        if VALUES not in tables:
            return values
        table = tables[VALUES]
        self._preload_filings({raw.get("filing_id", "") for _, raw in table.rows})
        for line, raw, row in self._parse(table, lambda v: (v["filing_id"], v["field"]),
                                          "field"):
            if row is None:
                values.flawed.add(raw.get("filing_id", ""))
            else:
                values.by_filing.setdefault(row["filing_id"], []).append((line, row))
        return values

    def _apply_values(self, filing: Filing, values: _Values) -> bool:
        """Make a filing's answers those of its rows; True if nothing was wrong with them."""
        key = filing.external_ref
        rows = values.by_filing.get(key)
        if rows is None:
            return key not in values.flawed
        spec = filing.template.spec
        planned: dict[str, tuple[int, Answer]] = {}
        for line, row in rows:
            if spec.has_field(row["field"]):
                planned[row["field"]] = (line, _answer(row))
            else:
                self.problems.append(Problem(
                    VALUES, line, "field",
                    f"'{row['field']}' is not a field of {filing.template.key}"))
        if len(planned) < len(rows):
            return False
        complete = key not in values.flawed
        stored = {value.field: value.as_answer() for value in filing.values.all()}
        dropped = [field for field in stored if complete and field not in planned]
        if not filing.is_draft:
            refusal = (f"filing {key} is {filing.status}: submitted filings never change; "
                       "amend it")
            before = len(self.problems)
            for field, (line, answer) in planned.items():
                old = stored.get(field, Answer())
                if old != answer:
                    column = "nd_code" if answer.nd_code or old.nd_code else "value"
                    self.problems.append(Problem(
                        VALUES, line, column,
                        f"{refusal} (stored: {_shown_answer(old)})"))
            if dropped:
                self.problems.append(Problem(
                    VALUES, rows[0][0], "field",
                    f"{refusal} (the file leaves out {', '.join(dropped)})"))
            if len(self.problems) > before:
                return False
            for _field in planned:
                self.summary.count(VALUES, False)
            return True
        answers = {field: answer for field, (_line, answer) in planned.items()}
        answers.update((field, Answer()) for field in dropped)
        if self._attempt(VALUES, rows[0][0], lambda: services.filing_save_answers(
                actor=self.actor, filing=filing, answers=answers)) is None:
            return False
        for field in planned:
            self.summary.count(VALUES, field not in stored)
        return complete


def import_bundle(files: dict[str, bytes], *, actor=None) -> ImportSummary:
    """Import every file of a bundle, all or nothing; raise TableInvalid with the problems."""
    return FilingImporter(actor=actor).run(files)


# --- uploads --------------------------------------------------------------------------------


def _refused(reason: str) -> TableInvalid:
    return TableInvalid([Problem("(upload)", 0, "file", reason)])


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's bundle files; every member that names a place outside the top is
    refused (a path with `..`, absolute or with backslashes), or skipped when its name is not
    a bundle file's (folders, `__MACOSX/`)."""
    problems, seen, wanted = [], set(), []
    for info in archive.infolist():
        name = info.filename
        parts = name.split("/")
        if ".." in parts or name.startswith("/") or "\\" in name or ":" in name:
            problems.append(Problem("(upload)", 0, "file",
                                    f"member '{name}' points outside the archive; refused"))
        elif info.is_dir() or parts[-1] not in FILES:
            continue
        elif len(parts) > 1:
            problems.append(Problem("(upload)", 0, "file",
                                    f"member '{name}' is in a folder; put the CSV files at "
                                    "the top of the archive"))
        elif name in seen:
            problems.append(Problem("(upload)", 0, "file", f"member '{name}' is repeated"))
        else:
            seen.add(name)
            wanted.append(info)
    if problems:
        raise TableInvalid(problems)
    return wanted


def read_upload(upload) -> dict[str, bytes]:
    """Return {file name: bytes} of an uploaded bundle .zip, refusing (TableInvalid) a file
    over IMPORT_MAX_BYTES, one that is not a zip by its content, and one whose members would
    unpack to too much (a zip bomb) -- all before anything is unpacked."""
    limit = settings.IMPORT_MAX_BYTES
    if upload is None:
        raise _refused("choose the bundle's .zip file")
    if upload.size > limit:
        raise _refused(f"the file is {upload.size:,} bytes; the limit is {limit:,}")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refused(f"the file is over the limit of {limit:,} bytes")
    if not data.startswith(ZIP_MAGIC):
        raise _refused("not a .zip archive (judged by its content, not by its name)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise _refused(f"a damaged .zip archive ({exc})") from None
    with archive:
        declared = sum(info.file_size for info in archive.infolist())
        if declared > min(MAX_EXPANSION * len(data), MAX_UNPACKED_BYTES):
            raise _refused(f"its members would unpack to {declared:,} bytes from {len(data):,}; "
                           "refused as a possible zip bomb")
        files, problems = {}, []
        for info in _members(archive):
            try:
                with archive.open(info) as member:
                    # Never more than declared: zipfile stops there and checks the CRC.
                    files[info.filename] = member.read(info.file_size + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError,
                    OSError) as exc:
                problems.append(Problem(info.filename, 0, "file", f"cannot be unpacked ({exc})"))
        if problems:
            raise TableInvalid(problems)
    return files


def import_upload(upload, *, actor) -> ImportSummary:
    """Import an uploaded bundle .zip, all or nothing; raise TableInvalid with the problems."""
    return import_bundle(read_upload(upload), actor=actor)


def summary_rows(summary: ImportSummary) -> list[tuple[str, int, int]]:
    """(file, created, updated) for each file the import touched, in bundle order."""
    return [(name, summary.created.get(name, 0), summary.updated.get(name, 0))
            for name in FILES if name in summary.created or name in summary.updated]


# --- export -----------------------------------------------------------------------------------


def export_rows() -> dict[str, tuple[list[str], list[list[str]]]]:
    """Return {file name: (header, rows)} for every file, keyed by external_ref: filings in
    order of submission (drafts last, then by key), each one's answers in its template's
    field order."""
    out = deals_bundle.export_rows()
    filings = sorted(Filing.objects.select_related("issuer", "deal", "template")
                     .prefetch_related("values"),
                     key=lambda filing: (_submission_order(filing.submitted_at),
                                         filing.external_ref or f"filing-{filing.pk}"))
    specs = {}
    filing_rows, value_rows = [], []
    for filing in filings:
        key = filing.external_ref or f"filing-{filing.pk}"
        filing_rows.append([
            key, filing.issuer.external_ref or "",
            (filing.deal.external_ref or "") if filing.deal else "", filing.template.key,
            filing.period, filing.status, _time_cell(filing.submitted_at),
            filing.due_date.isoformat()])
        if filing.template_id not in specs:
            specs[filing.template_id] = {field.key: index for index, field
                                         in enumerate(filing.template.spec.fields)}
        order = specs[filing.template_id]
        for value in sorted(filing.values.all(),
                            key=lambda v: (order.get(v.field, len(order)), v.field)):
            value_rows.append([key, value.field, *_answer_cells(value.as_answer())])
    out[FILINGS] = ([c.name for c in FILING_COLUMNS], filing_rows)
    out[VALUES] = ([c.name for c in VALUE_COLUMNS], value_rows)
    return {name: out[name] for name in FILES}


def export_bundle(path: str | Path) -> dict[str, int]:
    """Write every file of the bundle into a folder (or a .zip when the path ends in .zip)."""
    return write_bundle(path, export_rows())
