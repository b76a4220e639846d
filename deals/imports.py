"""Read a servicer report file: one period's collections, by asset where known."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.tabular import (
    Problem,
    TableInvalid,
    check_columns,
    parse_optional_date,
    parse_optional_decimal,
    read_table,
)

COLUMNS = ["period_end", "asset_id", "amount"]


@dataclass(frozen=True)
class ReportFile:
    period_end: date
    collections: Decimal
    by_asset: dict[str, str]  # asset id -> amount, as stored in the report


def read_servicer_report(file: str, data: bytes, *, pool_asset_ids: set[int]) -> ReportFile:
    """Parse rows of period_end, asset_id (may be empty) and amount; report every bad row."""
    table = read_table(file, data)
    problems = check_columns(table, required=["period_end", "amount"], optional=["asset_id"])
    if problems:
        raise TableInvalid(problems)
    problems = list(table.problems)
    period_ends, total, by_asset = set(), Decimal(0), {}
    for line, raw in table.rows:
        try:
            period_end = parse_optional_date(raw["period_end"])
            amount = parse_optional_decimal(raw["amount"])
        except ValueError as exc:
            problems.append(Problem(file, line, "period_end" if "date" in str(exc)
                                    else "amount", str(exc)))
            continue
        if period_end is None:
            problems.append(Problem(file, line, "period_end", "This field cannot be blank."))
            continue
        if amount is None or amount < 0:
            problems.append(Problem(file, line, "amount", "must be a number, zero or more"))
            continue
        asset_id = raw.get("asset_id", "")
        if asset_id:
            if not asset_id.isdigit() or int(asset_id) not in pool_asset_ids:
                problems.append(Problem(file, line, "asset_id",
                                        f"'{asset_id}' is not an asset of this deal's pool"))
                continue
            by_asset[asset_id] = str(Decimal(by_asset.get(asset_id, "0")) + amount)
        period_ends.add(period_end)
        total += amount
    if len(period_ends) > 1:
        problems.append(Problem(file, 2, "period_end",
                                "all rows must report the same period; found "
                                + ", ".join(sorted(d.isoformat() for d in period_ends))))
    if not table.rows:
        problems.append(Problem(file, 2, "row", "the file has no data rows"))
    if problems:
        raise TableInvalid(problems)
    return ReportFile(period_ends.pop(), total, by_asset)
