"""The registry's part of the interchange bundle (DESIGN 6.1): import and export.

Import is all-or-nothing: every row of every file is checked and applied inside one transaction;
if any row is bad, every problem is reported as `file:line: column: reason` and the transaction
is rolled back. Rows are keyed by the bundle's own ids (kept as `external_ref`), so importing the
same bundle twice updates in place instead of duplicating.
"""

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.tabular import (
    Problem,
    Table,
    TableInvalid,
    check_columns,
    parse_int_list,
    parse_list,
    parse_optional_date,
    parse_optional_decimal,
    parse_optional_int,
    parse_text,
    read_csv,
)
from ipregistry import services
from ipregistry.choices import AssetStatus
from ipregistry.models import IPAsset, Issuer, IssuerFinancials, Valuation


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], object] = parse_text
    field: str | None = None  # the model field it fills; None for keys and references

    @property
    def target(self) -> str:
        return self.field or self.name


def _columns(*specs) -> list[Column]:
    return [spec if isinstance(spec, Column) else Column(spec) for spec in specs]


ISSUER_COLUMNS = _columns(
    Column("issuer_id"), "name", "lei", "uscc", "country", "province", "city", "issuer_type",
    "sector", Column("founded_year", parse_optional_int))
FINANCIALS_COLUMNS = _columns(
    Column("issuer_id"), Column("year", parse_optional_int), "currency",
    Column("revenue", parse_optional_decimal), Column("rnd_expense", parse_optional_decimal),
    Column("employees", parse_optional_int), Column("high_skill_employees", parse_optional_int),
    Column("patent_applications", parse_optional_int),
    Column("carbon_rnd_expense", parse_optional_decimal))
ASSET_COLUMNS = _columns(
    Column("asset_id"), Column("issuer_id"), "kind", "registry_number", "title", "country",
    Column("filing_date", parse_optional_date), Column("grant_date", parse_optional_date),
    Column("expiry_date", parse_optional_date), Column("cpc_codes", parse_list),
    Column("ipc_codes", parse_list), Column("nice_classes", parse_int_list),
    # An empty cell is a missing value: the asset takes the default status.
    Column("status", lambda text: text or AssetStatus.ACTIVE))
VALUATION_COLUMNS = _columns(
    Column("asset_id"), "appraiser", "method", Column("value", parse_optional_decimal),
    "currency", Column("valuation_date", parse_optional_date))

FILES = {
    "issuers.csv": ISSUER_COLUMNS,
    "financials.csv": FINANCIALS_COLUMNS,
    "assets.csv": ASSET_COLUMNS,
    "valuations.csv": VALUATION_COLUMNS,
}
# Model fields reported under the bundle column that carries them.
FIELD_COLUMNS = {"owner": "issuer_id", "issuer": "issuer_id", "asset": "asset_id",
                 "__all__": "row"}
KEY_COLUMNS = {"issuers.csv": "issuer_id"}  # where external_ref comes from; else asset_id


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, file: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[file] = bucket.get(file, 0) + 1

    def __str__(self):
        files = sorted(set(self.created) | set(self.updated))
        return "; ".join(f"{name}: {self.created.get(name, 0)} created, "
                         f"{self.updated.get(name, 0)} updated" for name in files) or "nothing"


def read_bundle(path: str | Path) -> dict[str, bytes]:
    """Return {file name: bytes} of a bundle folder or .zip."""
    path = Path(path)
    if path.is_dir():
        return {child.name: child.read_bytes() for child in path.iterdir() if child.is_file()}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return {Path(name).name: archive.read(name) for name in archive.namelist()
                    if not name.endswith("/")}
    raise FileNotFoundError(f"{path} is neither a folder nor a .zip file")


def parse_row(file: str, line: int, raw: dict[str, str], columns: list[Column],
              problems: list[Problem]) -> dict | None:
    """Parse one row's cells; append a problem per bad cell and return None if any."""
    values, ok = {}, True
    for column in columns:
        try:
            values[column.target] = column.parse(raw.get(column.name, ""))
        except ValueError as exc:
            problems.append(Problem(file, line, column.name, str(exc)))
            ok = False
    return values if ok else None


def validation_problems(file: str, line: int, exc: ValidationError) -> list[Problem]:
    """Turn a model ValidationError into problems named by bundle column."""
    if not hasattr(exc, "error_dict"):
        return [Problem(file, line, "row", message) for message in exc.messages]
    columns = {**FIELD_COLUMNS, "external_ref": KEY_COLUMNS.get(file, "asset_id")}
    return [Problem(file, line, columns.get(name, name), message)
            for name, messages in exc.message_dict.items() for message in messages]


class Importer:
    """Apply a bundle's registry files in dependency order, collecting every problem."""

    def __init__(self, *, actor=None):
        self.actor = actor
        self.problems: list[Problem] = []
        self.summary = ImportSummary()
        self.issuers: dict[str, Issuer] = {}
        self.assets: dict[str, IPAsset] = {}
        self.bad_keys: dict[str, set[str]] = {"issuers.csv": set(), "assets.csv": set()}
        self.valued_asset_ids: set[int] = set()
        self.unreadable: set[str] = set()

    def run(self, files: dict[str, bytes]) -> ImportSummary:
        known = [name for name in FILES if name in files]
        if not known:
            raise TableInvalid([Problem("(bundle)", 0, "files",
                                        "no registry file found; expected one of "
                                        + ", ".join(FILES))])
        tables = {}
        for name in known:
            try:
                table = read_csv(name, files[name])
            except TableInvalid as exc:
                self.problems += exc.problems
                self.unreadable.add(name)
                continue
            header_problems = check_columns(table, required=[c.name for c in FILES[name]])
            if header_problems:
                self.problems += header_problems
                self.unreadable.add(name)
                continue
            self.problems += table.problems
            tables[name] = table
        with transaction.atomic():
            for name, apply in (("issuers.csv", self._issuer), ("financials.csv", self._financials),
                                ("assets.csv", self._asset), ("valuations.csv", self._valuation)):
                if name in tables:
                    self._apply_table(tables[name], apply)
            if self.problems:
                raise TableInvalid(self.problems)
            services.recompute_dispersion_after_commit(self.valued_asset_ids)
        return self.summary

    def _apply_table(self, table: Table, apply) -> None:
        self._preload(table)
        seen: dict[tuple, int] = {}
        for line, raw in table.rows:
            values = parse_row(table.file, line, raw, FILES[table.file], self.problems)
            if values is None:
                self._mark_bad(table.file, raw)
                continue
            key = self._key(table.file, values)
            if key in seen:
                self.problems.append(Problem(
                    table.file, line, self._key_column(table.file),
                    f"duplicate of line {seen[key]} ({', '.join(str(k) for k in key)})"))
                self._mark_bad(table.file, raw)
                continue
            seen[key] = line
            try:
                with transaction.atomic():
                    created = apply(table.file, line, values)
            except ValidationError as exc:
                self.problems += validation_problems(table.file, line, exc)
                self._mark_bad(table.file, raw)
                continue
            except IntegrityError as exc:
                self.problems.append(Problem(table.file, line, "row",
                                             f"conflicts with a stored record ({exc})"))
                self._mark_bad(table.file, raw)
                continue
            if created is not None:
                self.summary.count(table.file, created)

    def _preload(self, table: Table) -> None:
        issuer_keys = {raw.get("issuer_id", "") for _, raw in table.rows} - set(self.issuers)
        if issuer_keys - {""}:
            self.issuers.update(
                (issuer.external_ref, issuer)
                for issuer in Issuer.objects.filter(external_ref__in=issuer_keys))
        asset_keys = {raw.get("asset_id", "") for _, raw in table.rows} - set(self.assets)
        if asset_keys - {""}:
            self.assets.update(
                (asset.external_ref, asset)
                for asset in IPAsset.objects.filter(external_ref__in=asset_keys))

    @staticmethod
    def _key(file: str, values: dict) -> tuple:
        if file == "financials.csv":
            return (values["issuer_id"], values["year"])
        if file == "valuations.csv":
            return (values["asset_id"], values["appraiser"], values["method"],
                    values["valuation_date"])
        return (values["issuer_id"] if file == "issuers.csv" else values["asset_id"],)

    @staticmethod
    def _key_column(file: str) -> str:
        return {"issuers.csv": "issuer_id", "financials.csv": "year",
                "assets.csv": "asset_id", "valuations.csv": "valuation_date"}[file]

    def _mark_bad(self, file: str, raw: dict) -> None:
        if file == "issuers.csv":
            self.bad_keys[file].add(raw.get("issuer_id", ""))
        elif file == "assets.csv":
            self.bad_keys[file].add(raw.get("asset_id", ""))

    def _reference(self, file: str, line: int, column: str, key: str, known: dict,
                   source: str):
        if not key:
            raise ValidationError({column: "This field cannot be blank."})
        if key in known:
            return known[key]
        if key in self.bad_keys[source] or source in self.unreadable:
            raise ValidationError({column: f"'{key}' has errors in {source}"})
        raise ValidationError({column: f"unknown {column} '{key}' (not in {source} nor stored)"})

    def _issuer(self, file, line, values):
        key = values.pop("issuer_id")
        if not key:
            raise ValidationError({"issuer_id": "This field cannot be blank."})
        issuer = self.issuers.get(key)
        if issuer is None:
            self.issuers[key] = services.issuer_create(actor=self.actor, external_ref=key,
                                                       **values)
            return True
        services.issuer_update(actor=self.actor, issuer=issuer, **values)
        return False

    def _financials(self, file, line, values):
        issuer = self._reference(file, line, "issuer_id", values.pop("issuer_id"), self.issuers,
                                 "issuers.csv")
        existing = IssuerFinancials.objects.filter(issuer=issuer, year=values["year"]).first()
        if existing is None:
            services.financials_create(actor=self.actor, issuer=issuer, **values)
            return True
        services.financials_update(actor=self.actor, financials=existing, **values)
        return False

    def _asset(self, file, line, values):
        key = values.pop("asset_id")
        if not key:
            raise ValidationError({"asset_id": "This field cannot be blank."})
        owner = self._reference(file, line, "issuer_id", values.pop("issuer_id"), self.issuers,
                                "issuers.csv")
        asset = self.assets.get(key)
        if asset is None:
            self.assets[key] = services.asset_create(actor=self.actor, owner=owner,
                                                     external_ref=key, **values)
            return True
        services.asset_update(actor=self.actor, asset=asset, owner=owner, **values)
        return False

    def _valuation(self, file, line, values):
        asset = self._reference(file, line, "asset_id", values.pop("asset_id"), self.assets,
                                "assets.csv")
        existing = Valuation.objects.filter(
            asset=asset, appraiser=values["appraiser"], method=values["method"],
            valuation_date=values["valuation_date"]).first()
        self.valued_asset_ids.add(asset.pk)
        if existing is None:
            services.valuation_create(actor=self.actor, recompute=False, asset=asset, **values)
            return True
        services.valuation_update(actor=self.actor, valuation=existing, recompute=False, **values)
        return False


def import_bundle(files: dict[str, bytes], *, actor=None) -> ImportSummary:
    """Import the registry files of a bundle, all or nothing; raise TableInvalid with problems."""
    return Importer(actor=actor).run(files)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def export_rows() -> dict[str, tuple[list[str], list[list[str]]]]:
    """Return {file name: (header, rows)} for every registry record, keyed by external_ref."""
    issuers = list(Issuer.objects.order_by("pk"))
    issuer_keys = {issuer.pk: issuer.external_ref for issuer in issuers}
    assets = list(IPAsset.objects.order_by("pk"))
    asset_keys = {asset.pk: asset.external_ref for asset in assets}
    out = {}
    out["issuers.csv"] = [[issuer.external_ref] + [_cell(getattr(issuer, c.target))
                                                   for c in ISSUER_COLUMNS[1:]]
                          for issuer in issuers]
    out["financials.csv"] = [
        [issuer_keys[row.issuer_id]] + [_cell(getattr(row, c.target))
                                        for c in FINANCIALS_COLUMNS[1:]]
        for row in IssuerFinancials.objects.order_by("issuer_id", "year")]
    out["assets.csv"] = [
        [asset.external_ref, issuer_keys[asset.owner_id]]
        + [_cell(getattr(asset, c.target)) for c in ASSET_COLUMNS[2:]] for asset in assets]
    out["valuations.csv"] = [
        [asset_keys[row.asset_id]] + [_cell(getattr(row, c.target))
                                      for c in VALUATION_COLUMNS[1:]]
        for row in Valuation.objects.order_by("asset_id", "valuation_date", "pk")]
    return {name: ([c.name for c in FILES[name]], rows) for name, rows in out.items()}


def write_bundle(path: str | Path, tables: dict[str, tuple[list[str], list[list]]]
                 ) -> dict[str, int]:
    """Write {file name: (header, rows)} as CSV files into a folder, or a .zip by its suffix."""
    path = Path(path)
    contents, counts = {}, {}
    for name, (header, rows) in tables.items():
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        contents[name] = buffer.getvalue().encode("utf-8")
        counts[name] = len(rows)
    if path.suffix == ".zip":
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in contents.items():
                archive.writestr(name, data)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, data in contents.items():
            (path / name).write_bytes(data)
    return counts


def export_bundle(path: str | Path) -> dict[str, int]:
    """Write the registry files into a folder (or a .zip when the path ends in .zip)."""
    return write_bundle(path, export_rows())


PAGE_IMPORT_REQUIRED = ["kind", "registry_number", "title", "country"]


def import_asset_table(file: str, data: bytes, *, owner: Issuer, actor) -> list[IPAsset]:
    """Register the assets of one uploaded CSV or XLSX table for an owner, all or nothing.

    The columns are those of assets.csv; `asset_id` is optional and `issuer_id` is refused,
    because the owner is chosen on the page.
    """
    from core.tabular import read_table

    table = read_table(file, data)
    columns = [column for column in ASSET_COLUMNS if column.name != "issuer_id"]
    problems = check_columns(table, required=PAGE_IMPORT_REQUIRED,
                             optional=[c.name for c in columns])
    if problems:
        raise TableInvalid(problems)
    problems += table.problems
    if len(table.rows) > settings.IMPORT_MAX_ROWS:
        raise TableInvalid([Problem(file, 1, "file", f"{len(table.rows):,} rows; the limit is "
                                                     f"{settings.IMPORT_MAX_ROWS:,}")])
    present = [column for column in columns if column.name in table.header]
    assets, seen = [], {}
    for line, raw in table.rows:
        values = parse_row(file, line, raw, present, problems)
        if values is None:
            continue
        key = values.pop("asset_id", "") or None
        asset = IPAsset(owner=owner, external_ref=key, **values)
        try:
            asset.full_clean()
        except ValidationError as exc:
            problems += validation_problems(file, line, exc)
            continue
        identity = (asset.country, asset.kind, asset.registry_number)
        if identity in seen:
            problems.append(Problem(file, line, "registry_number",
                                    f"duplicate of line {seen[identity]}"))
            continue
        seen[identity] = line
        if key and key in seen:
            problems.append(Problem(file, line, "asset_id", f"duplicate of line {seen[key]}"))
            continue
        if key:
            seen[key] = line
        assets.append(asset)
    if not table.rows:
        problems.append(Problem(file, 2, "row", "the file has no data rows"))
    if problems:
        raise TableInvalid(problems)
    return services.assets_import(actor=actor, assets=assets)
