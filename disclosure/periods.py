"""Reporting periods: "2024" (a calendar year) or "2024-Q2" (a calendar quarter). Pure."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    def __str__(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @property
    def start(self) -> date:
        month = 1 if self.quarter is None else 3 * self.quarter - 2
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        month = 12 if self.quarter is None else 3 * self.quarter
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def due_date(self, due_days: int) -> date:
        """The day a filing for this period is due: `due_days` after the period ends."""
        return self.end + timedelta(days=due_days)

    def following(self) -> Period:
        if self.quarter is None:
            return Period(self.year + 1)
        return Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year,
                                                                         self.quarter + 1)


def parse_period(text: str, frequency: str | None = None) -> Period:
    """Read "2024" or "2024-Q2"; with a frequency ("annual", "quarterly"), require its form."""
    match = _PERIOD.match((text or "").strip().upper())
    if not match or not 1990 <= int(match["year"]) <= 2100:
        raise PeriodError("Write the period as a year (2024) or a quarter (2024-Q2).")
    period = Period(int(match["year"]), int(match["quarter"]) if match["quarter"] else None)
    if frequency == "annual" and period.quarter is not None:
        raise PeriodError("This template is filed yearly: write the year, e.g. 2024.")
    if frequency == "quarterly" and period.quarter is None:
        raise PeriodError("This template is filed quarterly: write the quarter, e.g. 2024-Q2.")
    return period


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from `first` to `last`, both included, in the form of `first`."""
    periods, current = [], first
    while current <= last:
        periods.append(current)
        current = current.following()
    return periods


def latest_closed(frequency: str, today: date) -> Period:
    """The last period of this frequency that has ended before `today`."""
    if frequency == "quarterly":
        quarter = (today.month - 1) // 3  # the quarter before today's
        return Period(today.year - 1, 4) if quarter == 0 else Period(today.year, quarter)
    return Period(today.year - 1)
