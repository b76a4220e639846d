"""The deals' part of the interchange bundle (DESIGN 6.1), on top of the registry's part.

One import reads all ten files and applies them in dependency order -- issuers, financials,
assets, valuations, benchmarks, fx, deals, tranches, pool, events -- inside one transaction with
one list of problems (`file:line: column: reason`): if any row is bad, nothing is written.

Every write goes through the services, so the deals' rules hold for imported data too:

* A deal is keyed by its bundle id (`external_ref`). A new deal is opened as a draft, its
  tranches and pool are added (pool isolation: an asset that is not free is refused, the reason
  naming it), then it is stepped through `deal_transition` along the shortest legal path of
  `TRANSITIONS` to the status in the file, so every change of status is in the audit trail.
* Tranches and pool can only change while a deal is a draft. A deal with rows in tranches.csv
  (pool.csv) gets exactly those tranches (pool entries); a deal without rows there keeps what it
  has. A deal past draft whose terms, tranches or pool in the file differ from the stored ones is
  a problem, never a half-applied change.
* Deals whose status in the file has released their pool (matured, terminated) are applied
  before the live ones, so a closed deal that once held an asset does not block the live deal
  holding it now.
* A bundle needs a registry file or a deals file with rows; one with neither is refused as a
  whole ("no registry file found, ...").
* Benchmarks upsert by (country, year), FX rates by (currency, year), events by (deal, date,
  event_type, details). Importing an identical bundle again changes nothing and writes no audit
  entry.
"""

import contextlib
import copy
from collections import deque
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from core import audit
from core.tabular import (
    Problem,
    Table,
    TableInvalid,
    check_columns,
    parse_list,
    parse_optional_date,
    parse_optional_decimal,
    parse_optional_int,
    read_csv,
)
from deals import services
from deals.choices import LIVE_STATUSES, TRANSITIONS, DealStatus, Label
from deals.models import Benchmark, Deal, DealEvent, FxRate, PoolAsset, Tranche
from ipregistry import bundle as registry
from ipregistry import services as registry_services
from ipregistry.bundle import Column, Importer, ImportSummary, parse_row, read_bundle
from ipregistry.models import IPAsset, Issuer

__all__ = ["FILES", "export_bundle", "export_rows", "import_bundle", "read_bundle"]


# --- cell parsers ---------------------------------------------------------------------------


def parse_currency(text: str) -> str:
    if text and not (len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()):
        raise ValueError(f"'{text}' is not an ISO 4217 currency code (three capital letters, "
                         "e.g. CNY)")
    return text


def parse_rate(text: str) -> Decimal | None:
    """A rate is a fraction: 0.045 for 4.5 %."""
    if "%" in text:
        raise ValueError(f"'{text}' is not a fraction; write rates as fractions "
                         "(0.045 for 4.5 %)")
    return parse_optional_decimal(text)


def parse_amount_or_zero(text: str) -> Decimal:
    # An empty cell is a missing value: the field's default, zero.
    value = parse_optional_decimal(text)
    return Decimal(0) if value is None else value


def parse_country(text: str) -> str:
    return text.upper()


def parse_status(text: str) -> str:
    # An empty cell is a missing value: a new deal stays a draft.
    if not text:
        return DealStatus.DRAFT
    if text not in DealStatus.values:
        raise ValueError(f"'{text}' is not a deal status (one of "
                         + ", ".join(DealStatus.values) + ")")
    return text


def parse_label(text: str) -> str:
    return text or Label.NONE


# --- files ----------------------------------------------------------------------------------

BENCHMARK_COLUMNS = [
    Column("country", parse_country), Column("year", parse_optional_int),
    Column("currency", parse_currency), Column("sme_loan_rate", parse_rate),
    Column("total_abs_issuance", parse_optional_decimal),
    Column("industry_employment_growth", parse_rate)]
FX_COLUMNS = [Column("currency", parse_currency), Column("year", parse_optional_int),
              Column("rate_to_usd", parse_optional_decimal)]
DEAL_COLUMNS = [
    Column("deal_id"), Column("name"), Column("originator_id"), Column("country"),
    Column("province"), Column("city"), Column("venue"), Column("structure"),
    Column("status", parse_status), Column("issue_date", parse_optional_date),
    Column("legal_final_date", parse_optional_date), Column("currency", parse_currency),
    Column("size", parse_optional_decimal), Column("label", parse_label),
    Column("sdg_targets", parse_list)]
TRANCHE_COLUMNS = [Column("deal_id"), Column("name"), Column("rank", parse_optional_int),
                   Column("size", parse_optional_decimal), Column("coupon_rate", parse_rate),
                   Column("rating")]
POOL_COLUMNS = [Column("deal_id"), Column("asset_id"),
                Column("cutoff_value", parse_optional_decimal),
                Column("financing_amount", parse_amount_or_zero)]
EVENT_COLUMNS = [Column("deal_id"), Column("date", parse_optional_date), Column("event_type"),
                 Column("details")]

DEAL_FILES = {
    "benchmarks.csv": BENCHMARK_COLUMNS,
    "fx.csv": FX_COLUMNS,
    "deals.csv": DEAL_COLUMNS,
    "tranches.csv": TRANCHE_COLUMNS,
    "pool.csv": POOL_COLUMNS,
    "events.csv": EVENT_COLUMNS,
}
# Every file of the bundle, in import order.
FILES = {**registry.FILES, **DEAL_FILES}

# Model fields reported under the bundle column that carries them, per file.
FIELD_COLUMNS = {
    "deals.csv": {"originator": "originator_id", "external_ref": "deal_id"},
    # A tranche's balance starts at its size: what is wrong with it is said of the size.
    "tranches.csv": {"deal": "deal_id", "balance": None},
    "pool.csv": {"deal": "deal_id", "asset": "asset_id"},
    "events.csv": {"deal": "deal_id"},
}
MODELS = {"deals.csv": Deal, "tranches.csv": Tranche, "pool.csv": PoolAsset,
          "events.csv": DealEvent, "benchmarks.csv": Benchmark, "fx.csv": FxRate}
# Errors of a transition, by what they are about: all but the issue date concern the status.
TRANSITION_COLUMNS = {"issue_date": "issue_date"}


def _constraint_columns(model: type[models.Model]) -> dict[str, str]:
    """Map a constraint's violation message to the field it is about.

    Django reports a failed check constraint for the whole row; naming the column is kinder.
    A unique constraint is about its last field, a check constraint about the first field its
    condition names.
    """
    columns = {}
    for constraint in model._meta.constraints:
        message = str(constraint.violation_error_message)
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            columns[message] = constraint.fields[-1]
        elif isinstance(constraint, models.CheckConstraint):
            names = _condition_fields(constraint.condition)
            if names:
                columns[message] = names[0]
    return columns


def _condition_fields(condition) -> list[str]:
    names = []
    for child in getattr(condition, "children", []):
        if isinstance(child, tuple):
            names.append(child[0].split("__")[0])
        else:
            names += _condition_fields(child)
    return names


def validation_problems(file: str, line: int, exc: ValidationError) -> list[Problem]:
    """Turn a ValidationError of a deals model into problems named by bundle column."""
    if not hasattr(exc, "error_dict"):
        return [Problem(file, line, "row", message) for message in exc.messages]
    fields = FIELD_COLUMNS.get(file, {})
    constraints = _constraint_columns(MODELS[file]) if file in MODELS else {}
    problems = []
    for name, messages in exc.message_dict.items():
        for message in messages:
            if name == NON_FIELD_ERRORS and message in constraints:
                column = constraints[message]
            else:
                column = name
            column = fields.get(column, column)
            if column is None:
                continue
            problems.append(Problem(file, line, "row" if column == NON_FIELD_ERRORS else column,
                                    message))
    return problems


def status_path(start: str, goal: str) -> list[str] | None:
    """The shortest list of transitions from start to goal (empty if equal), or None."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status == goal:
            path = []
            while previous[status] is not None:
                path.append(status)
                status = previous[status]
            return path[::-1]
        for following in sorted(TRANSITIONS[status]):
            if following not in previous:
                previous[following] = status
                queue.append(following)
    return None


def _changes(instance: models.Model, values: dict) -> dict:
    """{field: [stored, new]} of what applying values to instance would change."""
    candidate = copy.copy(instance)
    for name, value in values.items():
        setattr(candidate, name, value)
    with contextlib.suppress(ValidationError):
        candidate.clean()  # normalises codes (country, province) as saving would
    return audit.diff(audit.snapshot(instance), audit.snapshot(candidate))


def _shown(value) -> str:
    if value in (None, ""):
        return "empty"
    if isinstance(value, list):
        return ";".join(str(item) for item in value) or "empty"
    return str(value)


class _Rows:
    """Parsed rows of one file, grouped by deal."""

    def __init__(self):
        self.by_deal: dict[str, list[tuple[int, dict]]] = {}
        self.flawed: set[str] = set()  # deals with a bad row in this file


class BundleImporter(Importer):
    """Apply every file of a bundle, registry and deals, in one transaction."""

    # The files read, in import order, with their columns; an importer of more files extends
    # it and `_apply`.
    file_columns = FILES

    def __init__(self, *, actor=None):
        super().__init__(actor=actor)
        self.bad_keys["deals.csv"] = set()
        self.deals: dict[str, Deal] = {}

    def run(self, files: dict[str, bytes]) -> ImportSummary:
        tables = self._read(files)
        with transaction.atomic():
            self._apply(tables)
            if self.problems:
                order = list(self.file_columns)
                raise TableInvalid(sorted(
                    self.problems,
                    key=lambda p: (order.index(p.file) if p.file in order else len(order),
                                   p.line)))
            registry_services.recompute_dispersion_after_commit(self.valued_asset_ids)
        return self.summary

    def _apply(self, tables: dict[str, Table]) -> None:
        """Apply the readable tables in dependency order, inside the import's transaction."""
        for name, apply in (("issuers.csv", self._issuer), ("financials.csv", self._financials),
                            ("assets.csv", self._asset), ("valuations.csv", self._valuation)):
            if name in tables:
                self._apply_table(tables[name], apply)
        if "benchmarks.csv" in tables:
            self._apply_rows(tables["benchmarks.csv"], self._benchmark,
                             key=lambda v: (v["country"], v["year"]), key_column="year")
        if "fx.csv" in tables:
            self._apply_rows(tables["fx.csv"], self._fx,
                             key=lambda v: (v["currency"], v["year"]), key_column="year")
        self._apply_deals(tables)
        if "events.csv" in tables:
            self._apply_rows(tables["events.csv"], self._event,
                             key=lambda v: (v["deal_id"], v["date"], v["event_type"],
                                            v["details"]), key_column="row")

    # Reading

    def _read(self, files: dict[str, bytes]) -> dict[str, Table]:
        read: dict[str, Table] = {}
        for name in self.file_columns:
            if name not in files:
                continue
            try:
                read[name] = read_csv(name, files[name])
            except TableInvalid as exc:
                self.problems += exc.problems
                self.unreadable.add(name)
        # Another file with no rows carries nothing; a bundle that carries nothing is refused.
        if not any(name in files for name in registry.FILES) and not any(
                name in self.unreadable or read[name].rows or read[name].problems
                for name in self.file_columns
                if name in files and name not in registry.FILES):
            raise TableInvalid([Problem(
                "(bundle)", 0, "files",
                "no registry file found, nor any other bundle file with rows; expected one of "
                + ", ".join(self.file_columns))])
        tables = {}
        for name, table in read.items():
            header_problems = check_columns(
                table, required=[c.name for c in self.file_columns[name]])
            if header_problems:
                self.problems += header_problems
                self.unreadable.add(name)
                continue
            self.problems += table.problems
            tables[name] = table
        return tables

    def _parse(self, table: Table, key, key_column: str):
        """Yield (line, raw cells, values) per row; values is None if a cell is bad or the
        row's key repeats an earlier row's (each reported)."""
        seen: dict[tuple, int] = {}
        for line, raw in table.rows:
            values = parse_row(table.file, line, raw, self.file_columns[table.file],
                               self.problems)
            if values is None:
                yield line, raw, None
                continue
            row_key = key(values)
            if row_key in seen:
                self.problems.append(Problem(
                    table.file, line, key_column,
                    f"duplicate of line {seen[row_key]} ("
                    + ", ".join(_shown(k) for k in row_key) + ")"))
                yield line, raw, None
                continue
            seen[row_key] = line
            yield line, raw, values

    def _attempt(self, file: str, line: int, apply, *args) -> object:
        """Run apply in a savepoint; on failure record its problems and return None."""
        try:
            with transaction.atomic():
                return apply(*args)
        except ValidationError as exc:
            self.problems += validation_problems(file, line, exc)
        except IntegrityError as exc:
            self.problems.append(Problem(file, line, "row",
                                         f"conflicts with a stored record ({exc})"))
        return None

    def _apply_rows(self, table: Table, apply, *, key, key_column: str) -> None:
        self._preload_deals(table)
        for line, _raw, values in self._parse(table, key, key_column):
            if values is None:
                continue
            created = self._attempt(table.file, line, apply, table.file, line, values)
            if created is not None:
                self.summary.count(table.file, created)

    # Reference data and events

    def _benchmark(self, file, line, values):
        existing = Benchmark.objects.filter(country=values["country"],
                                            year=values["year"]).first()
        if existing is None:
            services.benchmark_create(actor=self.actor, **values)
            return True
        if _changes(existing, values):
            services.benchmark_update(actor=self.actor, benchmark=existing, **values)
        return False

    def _fx(self, file, line, values):
        existing = FxRate.objects.filter(currency=values["currency"], year=values["year"]).first()
        if existing is None:
            services.fx_create(actor=self.actor, **values)
            return True
        if _changes(existing, values):
            services.fx_update(actor=self.actor, rate=existing, **values)
        return False

    def _event(self, file, line, values):
        deal = self._deal_reference(values.pop("deal_id"))
        if DealEvent.objects.filter(deal=deal, **values).exists():
            return False
        services.event_record(actor=self.actor, deal=deal, **values)
        return True

    # Deals, with their tranches and pools

    def _preload_deals(self, table: Table) -> None:
        keys = {raw.get("deal_id", "") for _, raw in table.rows} - set(self.deals) - {""}
        if keys:
            self.deals.update((deal.external_ref, deal)
                              for deal in Deal.objects.filter(external_ref__in=keys))

    def _deal_reference(self, key: str) -> Deal:
        return self._reference("", 0, "deal_id", key, self.deals, "deals.csv")

    def _group(self, tables: dict[str, Table], file: str, keys) -> _Rows:
        rows = _Rows()
        if file not in tables:
            return rows
        table = tables[file]
        self._preload_deals(table)
        seen_rank: dict[tuple, int] = {}
        for line, raw, values in self._parse(table, keys[0], keys[1]):
            deal_key = raw.get("deal_id", "")
            if values is None:
                rows.flawed.add(deal_key)
                continue
            if file == "tranches.csv" and values["rank"] is not None:
                rank = (deal_key, values["rank"])
                if rank in seen_rank:
                    self.problems.append(Problem(
                        file, line, "rank",
                        f"duplicate of line {seen_rank[rank]} ({deal_key}, rank {rank[1]})"))
                    rows.flawed.add(deal_key)
                    continue
                seen_rank[rank] = line
            rows.by_deal.setdefault(deal_key, []).append((line, values))
        return rows

    def _apply_deals(self, tables: dict[str, Table]) -> None:
        tranches = self._group(tables, "tranches.csv",
                               (lambda v: (v["deal_id"], v["name"]), "name"))
        pool = self._group(tables, "pool.csv",
                           (lambda v: (v["deal_id"], v["asset_id"]), "asset_id"))
        self._preload_assets({values["asset_id"] for rows in pool.by_deal.values()
                              for _, values in rows})
        deal_rows = []
        if "deals.csv" in tables:
            table = tables["deals.csv"]
            self._preload_deals(table)
            keys = {raw.get("originator_id", "") for _, raw in table.rows} - set(self.issuers)
            if keys - {""}:
                self.issuers.update((issuer.external_ref, issuer)
                                    for issuer in Issuer.objects.filter(external_ref__in=keys))
            for line, raw, values in self._parse(table, lambda v: (v["deal_id"],), "deal_id"):
                if values is None:
                    self.bad_keys["deals.csv"].add(raw.get("deal_id", ""))
                else:
                    deal_rows.append((line, values))
        # Deals that end outside the live statuses release their pool: apply them first.
        deal_rows.sort(key=lambda row: row[1]["status"] in LIVE_STATUSES)
        in_file = set()
        for line, values in deal_rows:
            key, target = values["deal_id"], values["status"]
            in_file.add(key)
            deal = self._attempt("deals.csv", line, self._deal, line, values)
            if deal is None:
                self.bad_keys["deals.csv"].add(key)
                self._refer_all(key, tranches, pool)
                continue
            clean = self._apply_parts(deal, tranches, pool)
            self._reach(line, deal, target, apply=clean)
        # Deals only named in tranches.csv or pool.csv: stored ones, kept at their status.
        for key in sorted((set(tranches.by_deal) | set(pool.by_deal)) - in_file):
            try:
                deal = self._deal_reference(key)
            except ValidationError as exc:
                self._refer_all(key, tranches, pool, exc)
                continue
            self._apply_parts(deal, tranches, pool)

    def _refer_all(self, key: str, tranches: _Rows, pool: _Rows, exc=None) -> None:
        """Report every tranche and pool row of a deal that cannot be referred to."""
        if exc is None:
            try:
                self._deal_reference(key)
            except ValidationError as error:
                exc = error
            else:
                return
        for file, rows in (("tranches.csv", tranches), ("pool.csv", pool)):
            for line, _values in rows.by_deal.get(key, []):
                self.problems += validation_problems(file, line, exc)

    def _deal(self, line: int, values: dict) -> Deal:
        values = dict(values)
        key = values.pop("deal_id")
        values.pop("status")
        if not key:
            raise ValidationError({"deal_id": "This field cannot be blank."})
        values["originator"] = self._reference("deals.csv", line, "originator_id",
                                               values.pop("originator_id"), self.issuers,
                                               "issuers.csv")
        deal = self.deals.get(key)
        if deal is None:
            deal = services.deal_create(actor=self.actor, external_ref=key, **values)
            self.deals[key] = deal
            self.summary.count("deals.csv", True)
            return deal
        changes = _changes(deal, values)
        if changes and deal.status != DealStatus.DRAFT:
            if "originator_id" in changes:
                changes["originator_id"] = [deal.originator.external_ref, None]
            raise ValidationError({
                name.removesuffix("_id") if name == "originator_id" else name:
                    f"deal {key} is {deal.status}; its {name} cannot change "
                    f"(stored: {_shown(stored)})"
                for name, (stored, _new) in changes.items()})
        if changes:
            deal = services.deal_update(actor=self.actor, deal=deal, **values)
            self.deals[key] = deal
        self.summary.count("deals.csv", False)
        return deal

    def _apply_parts(self, deal: Deal, tranches: _Rows, pool: _Rows) -> bool:
        """Apply a deal's tranches and pool; True if they went in without a problem."""
        key = deal.external_ref
        before = len(self.problems)
        if key in tranches.by_deal:
            self._sync(deal, "tranches.csv", tranches.by_deal[key], self._tranche_plan,
                       complete=key not in tranches.flawed)
        if key in pool.by_deal:
            self._sync(deal, "pool.csv", pool.by_deal[key], self._pool_plan,
                       complete=key not in pool.flawed)
        return (len(self.problems) == before and key not in tranches.flawed
                and key not in pool.flawed)

    def _preload_assets(self, keys: set[str]) -> None:
        keys = keys - set(self.assets) - {""}
        if keys:
            self.assets.update((asset.external_ref, asset)
                               for asset in IPAsset.objects.filter(external_ref__in=keys))

    def _tranche_plan(self, deal: Deal, line: int, values: dict):
        """(identity, stored record or None, field values) of a tranches.csv row."""
        values = {k: v for k, v in values.items() if k != "deal_id"}
        stored = deal.tranches.filter(name=values["name"]).first() if values["name"] else None
        return values["name"], stored, values

    def _pool_plan(self, deal: Deal, line: int, values: dict):
        asset = self._reference("pool.csv", line, "asset_id", values["asset_id"], self.assets,
                                "assets.csv")
        stored = deal.pool.filter(asset=asset).first()
        return asset.pk, stored, {"asset": asset, "cutoff_value": values["cutoff_value"],
                                  "financing_amount": values["financing_amount"]}

    def _sync(self, deal: Deal, file: str, rows: list[tuple[int, dict]], plan, *,
              complete: bool) -> None:
        """Make a deal's tranches (or pool) exactly the file's rows.

        When some of the deal's rows are bad (complete is False), nothing stored is taken
        for left out: the bad rows are reported already.
        """
        noun = "tranches" if file == "tranches.csv" else "pool"
        planned = []
        for line, values in rows:
            try:
                planned.append((line, *plan(deal, line, values)))
            except ValidationError as exc:
                self.problems += validation_problems(file, line, exc)
        if len(planned) < len(rows):
            return
        identities = {identity for _, identity, _, _ in planned}
        stored_all = list(deal.tranches.all() if noun == "tranches" else deal.pool.all())
        identity_of = (lambda r: r.name) if noun == "tranches" else (lambda r: r.asset_id)
        dropped = [record for record in stored_all
                   if complete and identity_of(record) not in identities]
        if deal.status != DealStatus.DRAFT:
            refusal = f"deal {deal.external_ref} is {deal.status}; its {noun} cannot change"
            for line, _identity, stored, values in planned:
                if stored is None:
                    self.problems.append(Problem(
                        file, line, "name" if noun == "tranches" else "asset_id",
                        f"{refusal} (not in its stored {noun})"))
                    continue
                changes = _changes(stored, values)
                for name, (old, _new) in changes.items():
                    self.problems.append(Problem(file, line, name,
                                                 f"{refusal} (stored: {_shown(old)})"))
                if not changes:
                    self.summary.count(file, False)
            if dropped:
                self.problems.append(Problem(
                    file, rows[0][0], "deal_id",
                    f"{refusal} (the file leaves out "
                    + ", ".join(self._label(record) for record in dropped) + ")"))
            return
        for record in dropped:
            remove = services.tranche_delete if noun == "tranches" else services.pool_remove
            kwargs = {"tranche": record} if noun == "tranches" else {"entry": record}
            self._attempt(file, rows[0][0], lambda r=remove, k=kwargs: r(actor=self.actor, **k))
        for line, _identity, stored, values in planned:
            created = self._attempt(file, line, self._put, deal, noun, stored, values)
            if created is not None:
                self.summary.count(file, created)

    def _label(self, record) -> str:
        if isinstance(record, Tranche):
            return f"tranche {record.name}"
        return f"asset {record.asset.external_ref}"

    def _put(self, deal: Deal, noun: str, stored, values: dict) -> bool:
        if noun == "tranches":
            if stored is None:
                services.tranche_create(actor=self.actor, deal=deal, **values)
                return True
            if _changes(stored, values):
                services.tranche_update(actor=self.actor, tranche=stored, **values)
            return False
        if stored is None:
            services.pool_add(actor=self.actor, deal=deal, **values)
            return True
        values = {k: v for k, v in values.items() if k != "asset"}
        if _changes(stored, values):
            services.pool_update(actor=self.actor, entry=stored, **values)
        return False

    def _reach(self, line: int, deal: Deal, target: str, *, apply: bool) -> None:
        """Step the deal along the shortest legal path to the status in the file."""
        path = status_path(deal.status, target)
        if path is None:
            self.problems.append(Problem(
                "deals.csv", line, "status",
                f"deal {deal.external_ref} is {deal.status} and cannot become {target} "
                "(no path in the status machine)"))
            return
        if not apply:
            return
        for step in path:
            try:
                with transaction.atomic():
                    deal = services.deal_transition(actor=self.actor, deal=deal, to_status=step,
                                                    reason="interchange bundle import")
            except ValidationError as exc:
                messages = exc.message_dict if hasattr(exc, "error_dict") else {
                    "status": exc.messages}
                by_column: dict[str, list[str]] = {}
                for name, texts in messages.items():
                    by_column.setdefault(TRANSITION_COLUMNS.get(name, "status"), []).extend(texts)
                for column, texts in by_column.items():
                    self.problems.append(Problem(
                        "deals.csv", line, column,
                        f"cannot become {target} ({deal.status} -> {step}): " + " ".join(texts)))
                return
        self.deals[deal.external_ref] = deal


def import_bundle(files: dict[str, bytes], *, actor=None) -> ImportSummary:
    """Import every file of a bundle, all or nothing; raise TableInvalid with the problems."""
    return BundleImporter(actor=actor).run(files)


# --- export -----------------------------------------------------------------------------------


def _cells(instance: models.Model, columns: list[Column]) -> list[str]:
    return [registry._cell(getattr(instance, column.target)) for column in columns]


def export_rows() -> dict[str, tuple[list[str], list[list[str]]]]:
    """Return {file name: (header, rows)} for every file, keyed by external_ref."""
    out = registry.export_rows()
    deal_keys = {pk: ref or "" for pk, ref in Deal.objects.values_list("pk", "external_ref")}
    issuer_keys = dict(Issuer.objects.values_list("pk", "external_ref"))
    asset_keys = dict(IPAsset.objects.values_list("pk", "external_ref"))
    rows = {}
    rows["benchmarks.csv"] = sorted(_cells(row, BENCHMARK_COLUMNS)
                                    for row in Benchmark.objects.all())
    rows["fx.csv"] = sorted(_cells(row, FX_COLUMNS) for row in FxRate.objects.all())
    rows["deals.csv"] = sorted(
        [deal_keys[deal.pk], deal.name, issuer_keys[deal.originator_id]]
        + _cells(deal, DEAL_COLUMNS[3:]) for deal in Deal.objects.all())
    rows["tranches.csv"] = [row[-1] for row in sorted(
        ((deal_keys[t.deal_id], t.rank, t.name), [deal_keys[t.deal_id]]
         + _cells(t, TRANCHE_COLUMNS[1:])) for t in Tranche.objects.all())]
    rows["pool.csv"] = sorted(
        [deal_keys[entry.deal_id], asset_keys[entry.asset_id]]
        + _cells(entry, POOL_COLUMNS[2:]) for entry in PoolAsset.objects.all())
    rows["events.csv"] = sorted(
        [deal_keys[event.deal_id]] + _cells(event, EVENT_COLUMNS[1:])
        for event in DealEvent.objects.all())
    out.update((name, ([c.name for c in DEAL_FILES[name]], file_rows))
               for name, file_rows in rows.items())
    return {name: out[name] for name in FILES}


def export_bundle(path: str | Path) -> dict[str, int]:
    """Write every file of the bundle into a folder (or a .zip when the path ends in .zip)."""
    return registry.write_bundle(path, export_rows())
