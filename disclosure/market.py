"""Compute the market analytics of DESIGN.md 6.4 from columnar deal, observation and filing data.

The input is a :class:`MarketData`: NumPy columns the caller builds from the database (deals
already restricted to the statuses issued, amortizing, matured and defaulted, with an issue
year), one row per (deal, beneficiary) observation, one row per submitted-or-later filing, and
the small tables of benchmarks, FX rates and central and western provinces. Nothing here reads
the database or settings. :func:`answer` returns the JSON-ready answer of the endpoint.

Scope and money
---------------
A deal is in scope when its issue year lies in [year_from, year_to] (each bound optional), its
country is the requested one (if given) and, for the web page, its pool holds the requested
asset kind (a cut-off value above 0). Filings are in scope when their period year lies in the
range and their issuer's country is the requested one; the asset kind does not restrict them
(a filing belongs to an issuer, not to a pool). Every amount (deal size, pool cut-off values,
financing to beneficiaries, both in the deal's currency) is converted with the rates of the
deal's issue year: amount x rate_to_usd(deal currency, year) / rate_to_usd(requested currency,
year). A deal in the requested currency needs no rate. A deal lacking either rate is left out of
every money figure and counted in its coverage under ``"no FX rate for EUR 2021"``; its counts
(deals per year, coupons, defaults, dispersion, observations) still count.

Coverage
--------
``coverage[figure]`` is ``{"included", "left_out", "unit", "reasons"}``: how many deals,
assets, observations or filings the figure counted, how many it left out for lack of an input,
and how many of those lacked each input (a deal lacking two inputs is counted once in
``left_out`` and under both reasons). Items outside a figure's definition are not "left out":
deals outside China for ``central_western_share``, pool assets with fewer than two valuations
for ``valuation_dispersion_over_30pct``. A figure with nothing to count is None, never 0.

Decisions where DESIGN 6.4 is silent
------------------------------------
* ``issuance_by_year``: ``deals`` counts every deal in scope that year; ``amount`` sums the
  convertible ones (None when there is none).
* ``ip_share_of_abs``: a year's share counts the deals of the countries whose benchmark has a
  total ABS issuance (converted from the benchmark's currency with that year's rates), in the
  numerator and the denominator alike; a year where no country has one is None. Deals of the
  others are left out with ``"no total ABS issuance benchmark for US 2021"``. The share is a
  ratio of two sources and is not bounded by 1.
* ``by_province``: every province with a deal in scope, the unknown province ``""`` aside
  (left out as ``"province unknown"``); ``deals`` counts all its deals, ``amount`` and ``share``
  the convertible ones; sorted by amount descending (None last), then by code. Provinces of
  every country count, so the HHI is China's only when the country filter is CN.
* ``by_asset_kind``: kinds with a value above 0 in scope, sorted by amount descending; deals
  without pool value are left out (``"no pool value at cut-off"``), as for ``green_share``.
* ``senior_coupon``: always the object; its members are None when no deal has a coupon.
* ``sme_loan_rate``: weighted by the deal's converted size; ``median_spread_bp`` needs no
  conversion and counts deals whose amount cannot be converted.
* ``esg_disclosure_rate``: filings whose template has no ESG field are left out of coverage
  (``"template has no ESG field"``); the rate is answered pairs / pairs.
* ``findings``: sentences built from the figures above, each only when its numbers exist; the
  dimension verdicts score market-level indicators with :func:`disclosure.sdg.scores`
  (``financing_cost_saving_bp`` = ``median_spread_bp``, ``less_developed_region_share`` =
  ``central_western_share``, ``green_asset_share`` = ``green_share``). Carbon-reduction R&D is
  not in the market data; ``coverage["carbon_rnd_growth"]`` says so.

Extras for the page: ``jurisdictions`` (US, the EU member states, JP, CN: deals, converted
amount, median senior coupon, labelled shares, SDG claims and their filings' disclosure
figures, None without data; ratings are not in the input, so no rated share), ``by_year_kind``,
``green_share_by_year``, ``default_rate_by_vintage`` and
``valuation_dispersion_distribution`` (pooled assets with two or more valuations by
DISPERSION_BINS, from each deal's ``dispersion_bins`` counts).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from disclosure import sdg

__all__ = [
    "EU_MEMBERS",
    "HHI_HIGHLY_CONCENTRATED",
    "JURISDICTIONS",
    "STUDY_ESG_BELOW",
    "STUDY_INCOMPLETE_ABOVE",
    "Benchmark",
    "MarketData",
    "answer",
]

CHINA = "CN"
UNKNOWN_PROVINCE = ""
LABELS = ("green", "social", "sustainability")
HHI_HIGHLY_CONCENTRATED = 0.25
# The market study: over 40 % of projects incompletely disclosed, under 20 % disclose ESG.
STUDY_INCOMPLETE_ABOVE = 0.40
STUDY_ESG_BELOW = 0.20
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
JURISDICTIONS: dict[str, frozenset[str]] = {
    "US": frozenset({"US"}),
    "EU": EU_MEMBERS,
    "JP": frozenset({"JP"}),
    "CN": frozenset({CHINA}),
}
# Buckets of a pooled asset's valuation dispersion (max - min) / min, upper bounds inclusive;
# the first three are at most 30 %, the others above (flagged, as DESIGN 4 says).
DISPERSION_BINS: tuple[tuple[str, float], ...] = (
    ("0-10 %", 0.10), ("10-20 %", 0.20), ("20-30 %", 0.30), ("30-50 %", 0.50),
    ("50-100 %", 1.00), ("over 100 %", math.inf))
DISPERSION_FLAGGED_FROM = 3  # the first bin above 30 %
NPZ_FORMAT = "disclosure.market/2"
NPZ_ENTRY_DATE = (1980, 1, 1, 0, 0, 0)

_DEAL_COLUMNS: dict[str, type] = {
    "deal_id": np.int64,
    "year": np.int16,
    "country": np.int32,
    "province": np.int32,
    "currency": np.int32,
    "size": np.float64,
    "coupon": np.float64,
    "kind_value": np.float64,
    "green_value": np.float64,
    "financing_total": np.float64,
    "financing_sme": np.float64,
    "defaulted": np.bool_,
    "label": np.int32,
    "sdg_claimed": np.bool_,
    "multi_valued": np.int32,
    "dispersed": np.int32,
    "dispersion_bins": np.int32,
}
_OBSERVATION_COLUMNS: dict[str, type] = {
    "obs_deal": np.int64,
    "obs_rnd_pp": np.float64,
    "obs_emp_excess": np.float64,
}
_FILING_COLUMNS: dict[str, type] = {
    "filing_year": np.int16,
    "filing_country": np.int32,
    "filing_incomplete": np.bool_,
    "filing_esg_pairs": np.int32,
    "filing_esg_answered": np.int32,
}
_COLUMNS = {**_DEAL_COLUMNS, **_OBSERVATION_COLUMNS, **_FILING_COLUMNS}
_CODE_TABLES = ("countries", "provinces", "currencies", "kinds", "labels")
_CODED_COLUMNS = {
    "country": "countries",
    "province": "provinces",
    "currency": "currencies",
    "label": "labels",
    "filing_country": "countries",
}
_MONEY_COLUMNS = ("size", "kind_value", "green_value", "financing_total", "financing_sme")
# Relative slack for sums the caller adds up in binary floats (green <= pool, sme <= all).
_SUM_SLACK = 1e-9

_FIGURE_KEYS = (
    "issuance_by_year",
    "ip_share_of_abs",
    "by_province",
    "province_hhi",
    "central_western_share",
    "by_asset_kind",
    "sme_financing_share",
    "senior_coupon",
    "sme_loan_rate",
    "median_spread_bp",
    "green_share",
    "valuation_dispersion_over_30pct",
    "default_rate",
    "disclosure_incomplete_share",
    "esg_disclosure_rate",
    "rnd_intensity_change_pp",
    "employment_growth_excess",
)

NO_COUPON = "no rank-1 tranche coupon"
NO_POOL_VALUE = "no pool value at cut-off"
NO_FINANCING = "no financing to beneficiaries"
PROVINCE_UNKNOWN = "province unknown"
NO_ESG_FIELD = "template has no ESG field"
NO_RND = "R&D or revenue missing in the year before or after issue"
NO_EMPLOYMENT = "employees or the industry employment growth benchmark missing"
NO_CARBON_RND = "carbon-reduction R&D is not in the market data"


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """A country's market benchmarks for one year; None is a figure not known."""

    sme_loan_rate: float | None
    total_abs_issuance: float | None
    currency: str
    industry_employment_growth: float | None


# --- Input -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class MarketData:
    """Deals in scope candidates, their observations, filings and the market tables.

    Deal columns have n rows (``kind_value`` is n x len(kinds)); ``country``, ``province``,
    ``currency`` and ``label`` are codes into the tables of the same name; ``coupon`` is NaN
    where the deal has no rank-1 coupon. Observation columns have m rows, ``obs_deal`` a deal
    row; NaN is an indicator whose inputs are missing. Filing columns have f rows.
    """

    deal_id: np.ndarray
    year: np.ndarray
    country: np.ndarray
    province: np.ndarray
    currency: np.ndarray
    size: np.ndarray
    coupon: np.ndarray
    kind_value: np.ndarray
    green_value: np.ndarray
    financing_total: np.ndarray
    financing_sme: np.ndarray
    defaulted: np.ndarray
    label: np.ndarray
    sdg_claimed: np.ndarray
    multi_valued: np.ndarray
    dispersed: np.ndarray
    dispersion_bins: np.ndarray
    obs_deal: np.ndarray
    obs_rnd_pp: np.ndarray
    obs_emp_excess: np.ndarray
    filing_year: np.ndarray
    filing_country: np.ndarray
    filing_incomplete: np.ndarray
    filing_esg_pairs: np.ndarray
    filing_esg_answered: np.ndarray
    countries: tuple[str, ...]
    provinces: tuple[str, ...]
    currencies: tuple[str, ...]
    kinds: tuple[str, ...]
    labels: tuple[str, ...]
    benchmarks: Mapping[tuple[str, int], Benchmark]
    fx: Mapping[tuple[str, int], float]
    central_western: frozenset[str]

    def __post_init__(self) -> None:
        for name, dtype in _COLUMNS.items():
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        for name in _CODE_TABLES:
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "central_western", frozenset(self.central_western))
        object.__setattr__(self, "benchmarks", _checked_benchmarks(self.benchmarks))
        object.__setattr__(self, "fx", _checked_fx(self.fx))
        self._check_shapes()
        self._check_values()

    @classmethod
    def from_records(
        cls,
        deals: Sequence[Mapping[str, Any]],
        observations: Sequence[Mapping[str, Any]],
        filings: Sequence[Mapping[str, Any]],
        benchmarks: Mapping[tuple[str, int], Benchmark],
        fx: Mapping[tuple[str, int], float],
        central_western: Iterable[str],
    ) -> MarketData:
        """Build the columns from one dict per row, codes as text, kind values as a dict.

        A deal row has every deal field (``coupon`` None for no coupon, ``kind_value`` a dict
        {kind: value}); an observation row has ``obs_deal`` (the deal's index in ``deals``),
        ``obs_rnd_pp`` and ``obs_emp_excess`` (None for missing); a filing row has the filing
        fields, ``filing_country`` as text. The code tables are the sorted values seen.
        """
        _check_fields(deals, _DEAL_COLUMNS, "deal")
        _check_fields(observations, _OBSERVATION_COLUMNS, "observation")
        _check_fields(filings, _FILING_COLUMNS, "filing")
        tables = {
            "countries": _sorted_values(
                [row["country"] for row in deals] + [row["filing_country"] for row in filings]
            ),
            "provinces": _sorted_values(row["province"] for row in deals),
            "currencies": _sorted_values(row["currency"] for row in deals),
            "kinds": _sorted_values(kind for row in deals for kind in row["kind_value"]),
            "labels": _sorted_values(row["label"] for row in deals),
        }
        codes = {name: {value: code for code, value in enumerate(table)}
                 for name, table in tables.items()}
        columns: dict[str, Any] = {}
        for name in _DEAL_COLUMNS:
            values = [row[name] for row in deals]
            if name in _CODED_COLUMNS:
                values = [codes[_CODED_COLUMNS[name]][value] for value in values]
            elif name == "coupon":
                values = [_float_or_nan(value) for value in values]
            elif name == "kind_value":
                values = np.array(
                    [[value.get(kind, 0.0) for kind in tables["kinds"]] for value in values],
                    dtype=np.float64,
                ).reshape(len(deals), len(tables["kinds"]))
            elif name == "dispersion_bins":
                values = np.array(values, dtype=np.int32).reshape(len(deals),
                                                                  len(DISPERSION_BINS))
            columns[name] = values
        for name in _OBSERVATION_COLUMNS:
            values = [row[name] for row in observations]
            columns[name] = values if name == "obs_deal" else [_float_or_nan(v) for v in values]
        for name in _FILING_COLUMNS:
            values = [row[name] for row in filings]
            if name == "filing_country":
                values = [codes["countries"][value] for value in values]
            columns[name] = values
        return cls(
            **columns,
            **tables,
            benchmarks=benchmarks,
            fx=fx,
            central_western=frozenset(central_western),
        )

    def to_npz_bytes(self) -> bytes:
        """Return the data as a compressed NumPy archive (.npz), the tables as JSON inside it."""
        tables: dict[str, Any] = {name: list(getattr(self, name)) for name in _CODE_TABLES}
        tables["format"] = NPZ_FORMAT
        tables["benchmarks"] = [
            [country, year, *dataclasses.astuple(benchmark)]
            for (country, year), benchmark in sorted(self.benchmarks.items())
        ]
        tables["fx"] = [
            [currency, year, rate] for (currency, year), rate in sorted(self.fx.items())
        ]
        tables["central_western"] = sorted(self.central_western)
        arrays = {
            "tables": np.frombuffer(json.dumps(tables).encode(), dtype=np.uint8),
            **{name: getattr(self, name) for name in _COLUMNS},
        }
        # np.savez_compressed, with every entry dated alike: the same data gives the same
        # bytes (and digest), whenever it is written.
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                entry = zipfile.ZipInfo(f"{name}.npy", date_time=NPZ_ENTRY_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(entry, "w", force_zip64=True) as stream:
                    np.lib.format.write_array(stream, array, allow_pickle=False)
        return buffer.getvalue()

    @classmethod
    def from_npz_bytes(cls, data: bytes) -> MarketData:
        """Load data written by :meth:`to_npz_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            tables = json.loads(archive["tables"].tobytes().decode())
            if tables.get("format") != NPZ_FORMAT:
                raise ValueError(f"not a {NPZ_FORMAT} archive: format {tables.get('format')!r}")
            columns = {name: archive[name] for name in _COLUMNS}
        return cls(
            **columns,
            **{name: tuple(tables[name]) for name in _CODE_TABLES},
            benchmarks={
                (country, year): Benchmark(*fields)
                for country, year, *fields in tables["benchmarks"]
            },
            fx={(currency, year): rate for currency, year, rate in tables["fx"]},
            central_western=frozenset(tables["central_western"]),
        )

    def _check_shapes(self) -> None:
        for columns, length_of in (
            (_DEAL_COLUMNS, "deal_id"),
            (_OBSERVATION_COLUMNS, "obs_deal"),
            (_FILING_COLUMNS, "filing_year"),
        ):
            first = getattr(self, length_of)
            rows = first.shape[0] if first.ndim == 1 else -1
            for name in columns:
                expected = ((rows, len(self.kinds)) if name == "kind_value"
                            else (rows, len(DISPERSION_BINS)) if name == "dispersion_bins"
                            else (rows,))
                if getattr(self, name).shape != expected:
                    raise ValueError(
                        f"{name} has shape {getattr(self, name).shape}, expected {expected}"
                    )

    def _check_values(self) -> None:
        for name, table in _CODED_COLUMNS.items():
            _check_range(getattr(self, name), len(getattr(self, table)), f"{name} code")
        _check_range(self.obs_deal, self.deal_id.shape[0], "obs_deal (a deal row)")
        for name in _MONEY_COLUMNS:
            column = getattr(self, name)
            if not np.all(np.isfinite(column) & (column >= 0)):
                raise ValueError(f"{name} must be finite and not below 0")
        if np.any(np.isinf(self.coupon)):
            raise ValueError("coupon must be finite or NaN")
        for part, whole, what in (
            (self.green_value, self.kind_value.sum(axis=1), "green_value exceeds the pool value"),
            (self.financing_sme, self.financing_total, "financing_sme exceeds financing_total"),
        ):
            rows = np.flatnonzero(part > whole * (1 + _SUM_SLACK))
            if rows.size:
                raise ValueError(f"deal {self.deal_id[rows[0]]}: {what}")
        if np.any(self.dispersed < 0) or np.any(self.dispersed > self.multi_valued):
            raise ValueError("each deal needs 0 <= dispersed <= multi_valued")
        bins = self.dispersion_bins
        if (np.any(bins < 0) or np.any(bins.sum(axis=1) != self.multi_valued)
                or np.any(bins[:, DISPERSION_FLAGGED_FROM:].sum(axis=1) != self.dispersed)):
            raise ValueError("dispersion_bins must count the multi_valued assets, and the bins "
                             "above 30 % the dispersed ones")
        if np.any(self.filing_esg_answered < 0) or np.any(
            self.filing_esg_answered > self.filing_esg_pairs
        ):
            raise ValueError("each filing needs 0 <= filing_esg_answered <= filing_esg_pairs")


def _checked_benchmarks(
    benchmarks: Mapping[tuple[str, int], Benchmark],
) -> dict[tuple[str, int], Benchmark]:
    """Return the benchmarks with their figures as floats (the database hands Decimals)."""
    checked = {}
    for (country, year), benchmark in benchmarks.items():
        if not isinstance(benchmark, Benchmark):
            raise ValueError(f"benchmark {country} {year} is not a Benchmark")
        checked[(country, int(year))] = Benchmark(
            sme_loan_rate=_float_or_none(benchmark.sme_loan_rate),
            total_abs_issuance=_float_or_none(benchmark.total_abs_issuance),
            currency=benchmark.currency,
            industry_employment_growth=_float_or_none(benchmark.industry_employment_growth),
        )
    return checked


def _checked_fx(fx: Mapping[tuple[str, int], float]) -> dict[tuple[str, int], float]:
    checked = {}
    for (currency, year), rate in fx.items():
        rate = float(rate)
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"FX rate of {currency} {year} must be above 0, not {rate}")
        checked[(currency, int(year))] = rate
    return checked


def _check_fields(rows: Sequence[Mapping[str, Any]], fields: Mapping[str, Any], what: str) -> None:
    expected = set(fields)
    for index, row in enumerate(rows):
        if set(row) != expected:
            missing = ", ".join(sorted(expected - set(row))) or "none"
            unknown = ", ".join(sorted(set(row) - expected)) or "none"
            raise ValueError(f"{what} row {index}: missing fields {missing}; unknown {unknown}")


def _check_range(codes: np.ndarray, size: int, what: str) -> None:
    if codes.size and (codes.min() < 0 or codes.max() >= size):
        raise ValueError(f"{what} out of range 0..{size - 1}")


def _sorted_values(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _float_or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _float_or_none(value: float | None) -> float | None:
    return None if value is None else float(value)


# --- Scope -------------------------------------------------------------------------------


class _Scope:
    """The deals in scope: their columns, converted amounts and benchmark lookups."""

    def __init__(
        self,
        data: MarketData,
        *,
        currency: str,
        year_from: int | None,
        year_to: int | None,
        country: str | None,
        asset_kind: str | None,
    ):
        self.data = data
        self.currency = currency
        keep = _in_years(data.year, year_from, year_to)
        if country is not None:
            keep &= data.country == _code(data.countries, country)
        if asset_kind is not None:
            if asset_kind in data.kinds:
                keep &= data.kind_value[:, data.kinds.index(asset_kind)] > 0
            else:
                keep[:] = False
        self.keep = keep
        self.whole = bool(keep.all())
        self.rows = np.flatnonzero(keep)
        self.deals = int(self.rows.size)
        year = self.take(data.year).astype(np.int64)
        first = int(year.min()) if self.deals else 0
        present = np.bincount(year - first) if self.deals else np.zeros(0, dtype=np.int64)
        self.years = np.flatnonzero(present) + first
        position = np.cumsum(present > 0) - 1
        self.year_pos = position[year - first]
        self.country = self.take(data.country)
        self.currency_code = self.take(data.currency)
        self.coupon = self.take(data.coupon)
        self.factor = self._fx_factors()[self.currency_code, self.year_pos]
        self.convertible = ~np.isnan(self.factor)
        self.amount = self.take(data.size) * self.factor
        self.everyone = np.ones(self.deals, dtype=bool)
        self.deals_per_year = np.bincount(self.year_pos, minlength=len(self.years))
        self.fx_left_out = self.fx_reasons()

    def take(self, column: np.ndarray) -> np.ndarray:
        """Return the rows of a deal column in scope (the column itself when all are)."""
        return column if self.whole else column[self.rows]

    def per_year(self, where: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Return per year of scope the number of deals where true, or the sum of their weights."""
        if weights is None:
            return np.bincount(self.year_pos[where], minlength=len(self.years))
        # Adding zeros for the other rows is faster than selecting rows, and drops their NaN.
        return np.bincount(
            self.year_pos, weights=np.where(where, weights, 0.0), minlength=len(self.years)
        )

    def rate(self, currency: str, year: int) -> float | None:
        """Return the factor from currency to the requested currency in year, or None."""
        if currency == self.currency:
            return 1.0
        source = self.data.fx.get((currency, year))
        target = self.data.fx.get((self.currency, year))
        return None if source is None or target is None else source / target

    def rate_missing(self, currency: str, year: int) -> tuple[str, ...]:
        """Name the rates that the conversion of currency in year lacks."""
        if currency == self.currency:
            return ()
        return tuple(
            f"no FX rate for {name} {year}"
            for name in (currency, self.currency)
            if (name, year) not in self.data.fx
        )

    def fx_reasons(self, among: np.ndarray | None = None) -> dict[str, int]:
        """Count the missing rates of the deals (among those given) whose money is left out."""
        lacking = ~self.convertible if among is None else among & ~self.convertible
        keys = self.currency_code[lacking].astype(np.int64) * len(self.years)
        keys += self.year_pos[lacking]

        def describe(key: int) -> tuple[str, ...]:
            code, position = divmod(key, len(self.years))
            return self.rate_missing(self.data.currencies[code], int(self.years[position]))

        return _reason_counts(keys, describe)

    def benchmark_table(
        self, value_of: Callable[[str, int, Benchmark], float | None]
    ) -> np.ndarray:
        """Return a countries x years table of a benchmark figure, NaN where unknown."""
        table = np.full((len(self.data.countries), len(self.years)), np.nan)
        country_code = {country: code for code, country in enumerate(self.data.countries)}
        year_position = {int(year): position for position, year in enumerate(self.years)}
        for (country, year), benchmark in self.data.benchmarks.items():
            if country in country_code and year in year_position:
                value = value_of(country, year, benchmark)
                if value is not None:
                    table[country_code[country], year_position[year]] = value
        return table

    def benchmark_reasons(
        self, lacking: np.ndarray, describe: Callable[[str, int], tuple[str, ...]]
    ) -> dict[str, int]:
        """Count the deals lacking a benchmark figure, per country and year."""
        keys = self.country[lacking].astype(np.int64) * len(self.years) + self.year_pos[lacking]

        def by_key(key: int) -> tuple[str, ...]:
            code, position = divmod(key, len(self.years))
            return describe(self.data.countries[code], int(self.years[position]))

        return _reason_counts(keys, by_key)

    def _fx_factors(self) -> np.ndarray:
        """Return the factor of each currency code and year of scope, NaN when lacking."""
        table = np.full((len(self.data.currencies), len(self.years)), np.nan)
        for position, year in enumerate(self.years.tolist()):
            for code, currency in enumerate(self.data.currencies):
                factor = self.rate(currency, year)
                if factor is not None:
                    table[code, position] = factor
        return table


def _in_years(year: np.ndarray, year_from: int | None, year_to: int | None) -> np.ndarray:
    keep = np.ones(year.shape[0], dtype=bool)
    if year_from is not None:
        keep &= year >= year_from
    if year_to is not None:
        keep &= year <= year_to
    return keep


def _code(table: Sequence[str], value: str) -> int:
    """Return value's code in table, or -1 (which no row holds) when absent."""
    return table.index(value) if value in table else -1


def _reason_counts(keys: np.ndarray, describe: Callable[[int], tuple[str, ...]]) -> dict[str, int]:
    """Count the rows per reason, the reasons of a key described once."""
    counts: dict[str, int] = {}
    if not keys.size:
        return counts
    per_key = np.bincount(keys)
    for key in np.flatnonzero(per_key).tolist():
        for reason in describe(key):
            counts[reason] = counts.get(reason, 0) + int(per_key[key])
    return counts


def _coverage(
    unit: str, included: int, left_out: int = 0, *reasons: Mapping[str, int]
) -> dict[str, Any]:
    merged: dict[str, int] = {}
    for counts in reasons:
        for reason, count in counts.items():
            if count:
                merged[reason] = merged.get(reason, 0) + count
    return {
        "included": int(included),
        "left_out": int(left_out),
        "unit": unit,
        "reasons": dict(sorted(merged.items())),
    }


def _deal_coverage(
    usable: np.ndarray, among: np.ndarray, *reasons: Mapping[str, int]
) -> dict[str, Any]:
    included = int(np.count_nonzero(usable & among))
    return _coverage("deals", included, int(np.count_nonzero(among)) - included, *reasons)


def _share(part: float, whole: float) -> float | None:
    return float(part / whole) if whole > 0 else None


def _count_reason(reason: str, lacking: np.ndarray) -> dict[str, int]:
    return {reason: int(np.count_nonzero(lacking))}


# --- Figures -----------------------------------------------------------------------------


def _issuance(scope: _Scope, figures: dict, coverage: dict) -> None:
    convertible = scope.convertible
    counted = scope.per_year(convertible)
    amounts = scope.per_year(convertible, scope.amount)
    figures["issuance_by_year"] = [
        {"year": int(year), "deals": int(scope.deals_per_year[pos]),
         "amount": float(amounts[pos]) if counted[pos] else None}
        for pos, year in enumerate(scope.years)
    ]
    coverage["issuance_by_year"] = _deal_coverage(convertible, scope.everyone, scope.fx_left_out)


def _ip_share_of_abs(scope: _Scope, figures: dict, coverage: dict) -> None:
    def converted_total(country: str, year: int, benchmark: Benchmark) -> float | None:
        rate = scope.rate(benchmark.currency, year)
        if benchmark.total_abs_issuance is None or rate is None:
            return None
        return benchmark.total_abs_issuance * rate

    def missing(country: str, year: int) -> tuple[str, ...]:
        benchmark = scope.data.benchmarks.get((country, year))
        if benchmark is None or benchmark.total_abs_issuance is None:
            return (f"no total ABS issuance benchmark for {country} {year}",)
        return scope.rate_missing(benchmark.currency, year)

    totals = scope.benchmark_table(converted_total)
    total_of_deal = totals[scope.country, scope.year_pos]
    has_total = ~np.isnan(total_of_deal)
    usable = scope.convertible & has_total
    counted = scope.per_year(usable)
    numerators = scope.per_year(usable, scope.amount)
    # Each country's total counts once a year, however many of its deals that year has.
    years = len(scope.years)
    country_years = np.flatnonzero(np.bincount(
        scope.country[usable].astype(np.int64) * years + scope.year_pos[usable],
        minlength=len(scope.data.countries) * years,
    ))
    denominators = np.bincount(
        country_years % years if years else country_years,
        weights=totals.reshape(-1)[country_years],
        minlength=years,
    )
    figures["ip_share_of_abs"] = [
        {"year": int(year),
         "share": _share(numerators[pos], denominators[pos]) if counted[pos] else None}
        for pos, year in enumerate(scope.years)
    ]
    coverage["ip_share_of_abs"] = _deal_coverage(
        usable, scope.everyone, scope.fx_left_out, scope.benchmark_reasons(~has_total, missing)
    )


def _provinces(scope: _Scope, figures: dict, coverage: dict) -> None:
    data = scope.data
    province = scope.take(data.province)
    known = province != _code(data.provinces, UNKNOWN_PROVINCE)
    usable = known & scope.convertible
    size = len(data.provinces)
    deals = np.bincount(province[known], minlength=size)
    counted = np.bincount(province[usable], minlength=size)
    amounts = np.bincount(province, weights=np.where(usable, scope.amount, 0.0), minlength=size)
    total = float(amounts.sum())
    rows = [
        {
            "province": data.provinces[code],
            "deals": int(deals[code]),
            "amount": float(amounts[code]) if counted[code] else None,
            "share": _share(amounts[code], total) if counted[code] else None,
        }
        for code in np.flatnonzero(deals).tolist()
    ]
    rows.sort(key=lambda row: (row["amount"] is None, -(row["amount"] or 0.0), row["province"]))
    figures["by_province"] = rows
    shares = [row["share"] for row in rows if row["share"] is not None]
    figures["province_hhi"] = float(sum(share * share for share in shares)) if shares else None
    province_coverage = _deal_coverage(
        usable, scope.everyone, scope.fx_left_out, _count_reason(PROVINCE_UNKNOWN, ~known)
    )
    coverage["by_province"] = province_coverage
    coverage["province_hhi"] = dict(province_coverage, reasons=dict(province_coverage["reasons"]))

    in_china = scope.country == _code(data.countries, CHINA)
    usable_cn = in_china & usable
    less_developed = np.array(
        [code in data.central_western for code in data.provinces], dtype=bool
    )
    cn_amounts = scope.amount[usable_cn]
    central_western = float(cn_amounts[less_developed[province[usable_cn]]].sum())
    figures["central_western_share"] = (
        _share(central_western, float(cn_amounts.sum())) if cn_amounts.size else None
    )
    coverage["central_western_share"] = _deal_coverage(
        usable_cn,
        in_china,
        scope.fx_reasons(in_china),
        _count_reason(PROVINCE_UNKNOWN, in_china & ~known),
    )


def _pools(scope: _Scope, figures: dict, coverage: dict) -> None:
    data = scope.data
    pools = scope.take(data.kind_value)
    # A product with ones: ten times faster than sum(axis=1) on rows this short.
    pool_value = pools @ np.ones(len(data.kinds))
    has_pool = pool_value > 0
    usable = scope.convertible & has_pool
    weights = np.where(usable, scope.factor, 0.0)
    kind_amounts = weights @ pools
    total = float(kind_amounts.sum())
    shown = sorted(
        (code for code in range(len(data.kinds)) if kind_amounts[code] > 0),
        key=lambda code: (-kind_amounts[code], data.kinds[code]),
    )
    figures["by_asset_kind"] = [
        {"kind": data.kinds[code], "amount": float(kind_amounts[code]),
         "share": _share(kind_amounts[code], total)}
        for code in shown
    ]
    counted = scope.per_year(usable)
    by_year_kind = {code: scope.per_year(usable, pools[:, code] * weights) for code in shown}
    figures["by_year_kind"] = [
        {"year": int(year), "kind": data.kinds[code],
         "amount": float(by_year_kind[code][pos]) if counted[pos] else None}
        for pos, year in enumerate(scope.years)
        for code in shown
    ]
    green = scope.take(data.green_value) * scope.factor
    pool_amount = pool_value * scope.factor
    figures["green_share"] = (
        _share(float(green[usable].sum()), float(pool_amount[usable].sum()))
        if usable.any() else None
    )
    green_by_year = scope.per_year(usable, green)
    pool_by_year = scope.per_year(usable, pool_amount)
    figures["green_share_by_year"] = [
        {"year": int(year),
         "share": _share(green_by_year[pos], pool_by_year[pos]) if counted[pos] else None}
        for pos, year in enumerate(scope.years)
    ]
    for key in ("by_asset_kind", "by_year_kind", "green_share", "green_share_by_year"):
        coverage[key] = _deal_coverage(
            usable, scope.everyone, scope.fx_left_out, _count_reason(NO_POOL_VALUE, ~has_pool)
        )

    financing = scope.take(data.financing_total)
    has_financing = financing > 0
    usable = scope.convertible & has_financing
    sme = float((scope.take(data.financing_sme) * scope.factor)[usable].sum())
    figures["sme_financing_share"] = (
        _share(sme, float((financing * scope.factor)[usable].sum())) if usable.any() else None
    )
    coverage["sme_financing_share"] = _deal_coverage(
        usable, scope.everyone, scope.fx_left_out, _count_reason(NO_FINANCING, ~has_financing)
    )

    multi_valued = int(scope.take(data.multi_valued).sum())
    dispersed = int(scope.take(data.dispersed).sum())
    figures["valuation_dispersion_over_30pct"] = _share(dispersed, multi_valued)
    coverage["valuation_dispersion_over_30pct"] = _coverage("assets", multi_valued)
    bins = scope.take(data.dispersion_bins).sum(axis=0) if multi_valued else None
    figures["valuation_dispersion_distribution"] = [] if bins is None else [
        {"bucket": label, "assets": int(count), "share": _share(int(count), multi_valued)}
        for (label, _), count in zip(DISPERSION_BINS, bins, strict=True)]
    coverage["valuation_dispersion_distribution"] = _coverage("assets", multi_valued)


def _financing_cost(scope: _Scope, figures: dict, coverage: dict) -> None:
    has_coupon = ~np.isnan(scope.coupon)
    coupons = scope.coupon[has_coupon]
    if coupons.size:
        p25, median, p75 = np.percentile(coupons, [25, 50, 75]).tolist()
        figures["senior_coupon"] = {"median": median, "p25": p25, "p75": p75}
    else:
        figures["senior_coupon"] = {"median": None, "p25": None, "p75": None}
    no_coupon = _count_reason(NO_COUPON, ~has_coupon)
    coverage["senior_coupon"] = _deal_coverage(has_coupon, scope.everyone, no_coupon)

    def missing(country: str, year: int) -> tuple[str, ...]:
        return (f"no SME loan rate benchmark for {country} {year}",)

    rates = scope.benchmark_table(lambda country, year, benchmark: benchmark.sme_loan_rate)
    rate = rates[scope.country, scope.year_pos]
    has_rate = ~np.isnan(rate)
    no_rate = scope.benchmark_reasons(~has_rate, missing)
    usable = has_rate & scope.convertible
    weights = scope.amount[usable]
    figures["sme_loan_rate"] = (
        _share(float(rate[usable] @ weights), float(weights.sum())) if usable.any() else None
    )
    coverage["sme_loan_rate"] = _deal_coverage(usable, scope.everyone, scope.fx_left_out, no_rate)

    usable = has_rate & has_coupon
    spreads = (rate[usable] - scope.coupon[usable]) * 10_000
    figures["median_spread_bp"] = float(np.median(spreads)) if spreads.size else None
    coverage["median_spread_bp"] = _deal_coverage(usable, scope.everyone, no_rate, no_coupon)


def _defaults(scope: _Scope, figures: dict, coverage: dict) -> None:
    defaulted = scope.take(scope.data.defaulted)
    figures["default_rate"] = float(defaulted.mean()) if scope.deals else None
    deals = scope.deals_per_year
    defaults = scope.per_year(defaulted)
    figures["default_rate_by_vintage"] = [
        {"year": int(year), "deals": int(deals[pos]), "defaulted": int(defaults[pos]),
         "rate": float(defaults[pos] / deals[pos])}
        for pos, year in enumerate(scope.years)
    ]
    coverage["default_rate"] = _coverage("deals", scope.deals)
    coverage["default_rate_by_vintage"] = _coverage("deals", scope.deals)


def _observations(scope: _Scope, figures: dict, coverage: dict) -> None:
    data = scope.data
    in_scope = scope.keep[data.obs_deal]
    observations = int(np.count_nonzero(in_scope))
    for key, column, reason in (
        ("rnd_intensity_change_pp", data.obs_rnd_pp, NO_RND),
        ("employment_growth_excess", data.obs_emp_excess, NO_EMPLOYMENT),
    ):
        known = in_scope & ~np.isnan(column)
        counted = int(np.count_nonzero(known))
        figures[key] = float(np.where(known, column, 0.0).sum() / counted) if counted else None
        left_out = observations - counted
        coverage[key] = _coverage("observations", counted, left_out, {reason: left_out})
    coverage["carbon_rnd_growth"] = _coverage(
        "observations", 0, observations, {NO_CARBON_RND: observations}
    )


_FILING_TOTALS = ("filings", "incomplete", "with_esg", "esg_pairs", "esg_answered")


def _filing_totals(data: MarketData, filings: np.ndarray) -> np.ndarray:
    """Return per country code (columns) the _FILING_TOTALS (rows) of the filings selected."""
    country = data.filing_country[filings]
    counted = (
        None,
        data.filing_incomplete,
        data.filing_esg_pairs > 0,
        data.filing_esg_pairs,
        data.filing_esg_answered,
    )
    return np.array([
        np.bincount(
            country,
            weights=None if column is None else column[filings],
            minlength=len(data.countries),
        )
        for column in counted
    ], dtype=np.float64)


def _filing_figures(totals: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the incomplete share and the ESG rate from _FILING_TOTALS, with coverage."""
    filings, incomplete, with_esg, pairs, answered = (int(total) for total in totals)
    figures = {
        "disclosure_incomplete_share": _share(incomplete, filings),
        "esg_disclosure_rate": _share(answered, pairs),
    }
    coverage = {
        "disclosure_incomplete_share": _coverage("filings", filings),
        "esg_disclosure_rate": _coverage(
            "filings", with_esg, filings - with_esg, {NO_ESG_FIELD: filings - with_esg}
        ),
    }
    return figures, coverage


def _jurisdictions(scope: _Scope, filing_totals: np.ndarray) -> list[dict[str, Any]]:
    data = scope.data
    countries = len(data.countries)
    country = scope.country
    usable = scope.convertible
    deals = np.bincount(country, minlength=countries)
    converted = np.bincount(country[usable], minlength=countries)
    amounts = np.bincount(
        country, weights=np.where(usable, scope.amount, 0.0), minlength=countries
    )
    claimed = np.bincount(country, weights=scope.take(data.sdg_claimed), minlength=countries)
    labels = np.bincount(
        country.astype(np.int64) * len(data.labels) + scope.take(data.label),
        minlength=countries * len(data.labels),
    ).reshape(countries, len(data.labels))
    rows = []
    for name, members in JURISDICTIONS.items():
        member = np.array([code in members for code in data.countries], dtype=bool)
        count = int(deals[member].sum())
        coupons = scope.coupon[member[country]]
        coupons = coupons[~np.isnan(coupons)]
        label_counts = {
            label: int(labels[member, data.labels.index(label)].sum())
            if label in data.labels else 0
            for label in LABELS
        }
        filing_figures, _ = _filing_figures(filing_totals[:, member].sum(axis=1))
        rows.append({
            "jurisdiction": name,
            "deals": count,
            "amount": float(amounts[member].sum()) if converted[member].any() else None,
            "senior_coupon_median": float(np.median(coupons)) if coupons.size else None,
            "labelled_share": _share(sum(label_counts.values()), count),
            "label_shares": {
                label: _share(label_count, count) for label, label_count in label_counts.items()
            },
            "sdg_claimed_share": _share(claimed[member].sum(), count),
            "filings": int(filing_totals[0, member].sum()),
            **filing_figures,
        })
    return rows


# --- Findings ----------------------------------------------------------------------------

_COMPONENT_NAMES = {
    "rnd_intensity_change_pp": "R&D intensity change",
    "financing_cost_saving_bp": "financing cost saving (median spread)",
    "employment_growth_excess": "employment growth excess",
    "sme_financing_share": "SME financing share",
    "less_developed_region_share": "central and western share",
    "green_asset_share": "green asset share",
    "carbon_rnd_growth": "carbon-reduction R&D growth",
}
# Market-level indicators of disclosure.sdg and the figures they are read from.
_MARKET_INDICATORS = {
    "rnd_intensity_change_pp": "rnd_intensity_change_pp",
    "financing_cost_saving_bp": "median_spread_bp",
    "employment_growth_excess": "employment_growth_excess",
    "sme_financing_share": "sme_financing_share",
    "less_developed_region_share": "central_western_share",
    "green_asset_share": "green_share",
}


def _market_scores(figures: Mapping[str, Any]) -> dict[str, sdg.Score]:
    """Score the three SDG dimensions from the market figures of an answer."""
    indicators = []
    for key, figure in _MARKET_INDICATORS.items():
        definition = sdg.INDICATORS[key]
        value = figures[figure]
        indicators.append(sdg.Indicator(
            key=key,
            value=value,
            unit=definition.unit,
            sdg_targets=definition.sdg_targets,
            dimension=definition.dimension,
            inputs={"figure": figure},
            missing=() if value is not None else (f"{figure} of the market",),
        ))
    return sdg.scores(indicators)


def _findings(
    figures: Mapping[str, Any], coverage: Mapping[str, Any], currency: str
) -> list[str]:
    """Return the sentences of the figures that exist, in the order of DESIGN 6.4."""
    return [
        *_issuance_findings(figures, currency),
        *_region_findings(figures),
        *_cost_findings(figures),
        *_pool_findings(figures, coverage),
        *_disclosure_findings(figures, coverage),
        *_firm_findings(figures, coverage),
        *_dimension_findings(figures),
    ]


def _issuance_findings(figures: Mapping[str, Any], currency: str) -> Iterable[str]:
    years = figures["issuance_by_year"]
    if not years:
        return
    deals = sum(row["deals"] for row in years)
    amounts = [row["amount"] for row in years if row["amount"] is not None]
    span = _span(years[0]["year"], years[-1]["year"])
    total = f", {_money(sum(amounts), currency)} in all" if amounts else ""
    verb = "is" if deals == 1 else "are"
    yield f"{deals} {_plural(deals, 'deal')} issued in {span} {verb} in scope{total}."
    first, last = years[0], years[-1]
    if len(years) > 1 and first["amount"] and last["amount"] is not None:
        change = last["amount"] / first["amount"] - 1
        verb = "rose" if change > 0 else "fell" if change < 0 else "was unchanged"
        yield (
            f"Issuance {verb} from {_money(first['amount'], currency)} "
            f"({first['deals']} {_plural(first['deals'], 'deal')}) in {first['year']} to "
            f"{_money(last['amount'], currency)} ({last['deals']} "
            f"{_plural(last['deals'], 'deal')}) in {last['year']}, {_signed_pct(change)}."
        )
    shares = [row for row in figures["ip_share_of_abs"] if row["share"] is not None]
    if shares:
        latest = shares[-1]
        yield (
            f"In {latest['year']}, IP deals made up {_pct(latest['share'])} of the ABS "
            f"issuance of their countries."
        )


def _region_findings(figures: Mapping[str, Any]) -> Iterable[str]:
    provinces = [row for row in figures["by_province"] if row["share"] is not None]
    hhi = figures["province_hhi"]
    if provinces and hhi is not None:
        top = provinces[0]
        threshold = f"{HHI_HIGHLY_CONCENTRATED:g}"
        reading = (
            f"highly concentrated (above {threshold})" if hhi > HHI_HIGHLY_CONCENTRATED
            else f"not highly concentrated ({threshold} or below)"
        )
        yield (
            f"{top['province']} has the largest share of the amount, {_pct(top['share'])} "
            f"({top['deals']} {_plural(top['deals'], 'deal')}); the province HHI is {hhi:.3f}: "
            f"{reading}."
        )
    if figures["central_western_share"] is not None:
        yield (
            f"Central and western provinces received {_pct(figures['central_western_share'])} "
            f"of the amount issued in China."
        )


def _cost_findings(figures: Mapping[str, Any]) -> Iterable[str]:
    coupon = figures["senior_coupon"]
    if coupon["median"] is not None:
        yield (
            f"The median senior coupon is {_rate(coupon['median'])} (p25 {_rate(coupon['p25'])},"
            f" p75 {_rate(coupon['p75'])})."
        )
    if figures["sme_loan_rate"] is not None:
        yield (
            f"The SME loan rate benchmark, weighted by deal amount, is "
            f"{_rate(figures['sme_loan_rate'])}."
        )
    spread = figures["median_spread_bp"]
    if spread is not None:
        yield (
            f"The median spread of the SME loan rate of the deal's country and year over its "
            f"senior coupon is {spread:.0f} bp."
        )


def _pool_findings(figures: Mapping[str, Any], coverage: Mapping[str, Any]) -> Iterable[str]:
    if figures["sme_financing_share"] is not None:
        yield (
            f"SMEs received {_pct(figures['sme_financing_share'])} of the financing to "
            f"beneficiaries."
        )
    if figures["green_share"] is not None:
        yield f"Green assets make up {_pct(figures['green_share'])} of the pool value at cut-off."
    dispersion = figures["valuation_dispersion_over_30pct"]
    if dispersion is not None:
        assets = coverage["valuation_dispersion_over_30pct"]["included"]
        yield (
            f"Of {assets} pool {_plural(assets, 'asset')} valued two or more times in one "
            f"currency, {_pct(dispersion)} have valuations more than 30 % apart "
            f"((max - min) / min)."
        )
    if figures["default_rate"] is not None:
        deals = coverage["default_rate"]["included"]
        yield (
            f"Of {deals} {_plural(deals, 'deal')}, {_pct(figures['default_rate'])} had a "
            f"default event."
        )


def _disclosure_findings(
    figures: Mapping[str, Any], coverage: Mapping[str, Any]
) -> Iterable[str]:
    incomplete = figures["disclosure_incomplete_share"]
    if incomplete is not None:
        filings = coverage["disclosure_incomplete_share"]["included"]
        side = "above" if incomplete > STUDY_INCOMPLETE_ABOVE else "at or below"
        yield (
            f"Of {filings} {_plural(filings, 'filing')}, {_pct(incomplete)} are incomplete (a "
            f"required field missing or an ND code used), {side} the study's threshold of "
            f"{_pct(STUDY_INCOMPLETE_ABOVE, 0)}."
        )
    esg = figures["esg_disclosure_rate"]
    if esg is not None:
        filings = coverage["esg_disclosure_rate"]["included"]
        side = "below" if esg < STUDY_ESG_BELOW else "at or above"
        yield (
            f"ESG fields are answered with a value in {_pct(esg)} of the (filing, ESG field) "
            f"pairs of {filings} {_plural(filings, 'filing')}, {side} the study's threshold of "
            f"{_pct(STUDY_ESG_BELOW, 0)}."
        )


def _firm_findings(figures: Mapping[str, Any], coverage: Mapping[str, Any]) -> Iterable[str]:
    rnd = figures["rnd_intensity_change_pp"]
    if rnd is not None:
        observed = coverage["rnd_intensity_change_pp"]["included"]
        yield (
            f"Beneficiaries' R&D intensity changed by {rnd:+.2f} pp on average from the year "
            f"before issue to the year after ({observed} "
            f"{_plural(observed, 'observation')})."
        )
    excess = figures["employment_growth_excess"]
    if excess is not None:
        observed = coverage["employment_growth_excess"]["included"]
        pace = "faster than" if excess > 0 else "slower than" if excess < 0 else "as fast as"
        gap = f"{abs(excess) * 100:.1f} percentage points " if excess else ""
        yield (
            f"Beneficiaries' employment grew {gap}{pace} their industry benchmark over the same "
            f"two years ({observed} {_plural(observed, 'observation')})."
        )


def _dimension_findings(figures: Mapping[str, Any]) -> Iterable[str]:
    thresholds = f"strong >= {sdg.STRONG_FROM:g}, weak <= {sdg.WEAK_UP_TO:g}"
    for dimension, score in _market_scores(figures).items():
        if score.value is None:
            continue
        used = _names(component.key for component in score.components)
        notes = []
        absent = [key for key in score.coverage.missing if key != "carbon_rnd_growth"]
        if absent:
            notes.append(f"no value for {_names(absent)}")
        if "carbon_rnd_growth" in score.coverage.missing:
            notes.append("carbon-reduction R&D growth is not available at market level")
        note = f"; {'; '.join(notes)}" if notes else ""
        yield (
            f"The {dimension} dimension is {sdg.strength(score)}: score {score.value:.1f} of "
            f"100 ({thresholds}) from {used}{note}."
        )


def _names(keys: Iterable[str]) -> str:
    names = [_COMPONENT_NAMES[key] for key in keys]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _pct(fraction: float, decimals: int = 1) -> str:
    return f"{fraction * 100:.{decimals}f} %"


def _signed_pct(fraction: float) -> str:
    return f"{fraction * 100:+.1f} %"


def _rate(fraction: float) -> str:
    return f"{fraction * 100:.2f} %"


def _money(amount: float, currency: str) -> str:
    if abs(amount) >= 1e9:
        return f"{currency} {amount / 1e9:,.2f} bn"
    if abs(amount) >= 1e6:
        return f"{currency} {amount / 1e6:,.2f} m"
    return f"{currency} {amount:,.0f}"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


# --- Answer ------------------------------------------------------------------------------


def answer(
    data: MarketData,
    *,
    currency: str = "USD",
    year_from: int | None = None,
    year_to: int | None = None,
    country: str | None = None,
    asset_kind: str | None = None,
) -> dict[str, Any]:
    """Return the market analytics of DESIGN 6.4 for the deals and filings in scope."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise ValueError(f"year_from {year_from} is after year_to {year_to}")
    currency = currency.strip().upper()
    country = country.strip().upper() if country else None
    scope = _Scope(
        data,
        currency=currency,
        year_from=year_from,
        year_to=year_to,
        country=country,
        asset_kind=asset_kind,
    )
    figures: dict[str, Any] = {}
    coverage: dict[str, Any] = {}
    for compute in (_issuance, _ip_share_of_abs, _provinces, _pools, _financing_cost, _defaults,
                    _observations):
        compute(scope, figures, coverage)
    filings = _in_years(data.filing_year, year_from, year_to)
    if country is not None:
        filings &= data.filing_country == _code(data.countries, country)
    filing_totals = _filing_totals(data, filings)
    filing_figures, filing_coverage = _filing_figures(filing_totals.sum(axis=1))
    figures.update(filing_figures)
    coverage.update(filing_coverage)
    result = {key: figures[key] for key in _FIGURE_KEYS}
    result["findings"] = _findings(figures, coverage, currency)
    result["jurisdictions"] = _jurisdictions(scope, filing_totals)
    extras = ("by_year_kind", "green_share_by_year", "default_rate_by_vintage",
              "valuation_dispersion_distribution")
    for key in extras:
        result[key] = figures[key]
    extras = ("carbon_rnd_growth", *extras)
    result["coverage"] = {key: coverage[key] for key in (*_FIGURE_KEYS, *extras)}
    result["filters"] = {
        "currency": currency,
        "year_from": year_from,
        "year_to": year_to,
        "country": country,
        "asset_kind": asset_kind,
    }
    return result
