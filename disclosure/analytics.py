"""Market analytics (DESIGN 6.4): the endpoint and the /market/ page, both answered from the
latest market snapshot (disclosure/market_build.py) by disclosure/market.py.

Every figure of the page is a `Figure`: its title, its table (columns and rows from the answer),
its chart; the page shows the table beside the chart, and each has a CSV of exactly that table.
The filters (years, country, currency, asset kind) live in the query string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views import View
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import charts, exports
from core.jobs import after_commit
from disclosure import market, market_build
from disclosure.tasks import recompute_market
from ipregistry.choices import AssetKind


class MarketFilterForm(forms.Form):
    """The filters of the endpoint and the page; a bad value is a 400 naming the field."""

    currency = forms.RegexField(regex=r"^[A-Za-z]{3}$", required=False,
                                error_messages={"invalid": "A currency is an ISO 4217 code "
                                                           "(three letters), e.g. CNY."})
    year_from = forms.IntegerField(required=False, min_value=1990, max_value=2100)
    year_to = forms.IntegerField(required=False, min_value=1990, max_value=2100)
    country = forms.RegexField(regex=r"^[A-Za-z]{2}$", required=False,
                               error_messages={"invalid": "A country is an ISO 3166-1 alpha-2 "
                                                          "code, e.g. CN."})
    asset_kind = forms.ChoiceField(choices=[("", "Any"), *AssetKind.choices], required=False)

    def clean(self):
        data = super().clean()
        if data.get("year_from") and data.get("year_to") and data["year_from"] > data["year_to"]:
            self.add_error("year_to", "year_to comes before year_from.")
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        return {"currency": (data.get("currency") or "USD").upper(),
                "year_from": data.get("year_from"), "year_to": data.get("year_to"),
                "country": (data.get("country") or "").upper() or None,
                "asset_kind": data.get("asset_kind") or None}


class NoSnapshot(Exception):
    pass


def current_data():
    """The latest snapshot and its data; with none yet, one is asked for (built at once when
    tasks run in-process) and NoSnapshot raised if it is still missing."""
    snapshot, data = market_build.latest()
    if snapshot is None:
        after_commit(recompute_market, "all")
        snapshot, data = market_build.latest()
    if snapshot is None:
        raise NoSnapshot
    return snapshot, data


def _errors(form) -> dict:
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}


class MarketAnalyticsApiView(APIView):
    """The market analytics of DESIGN 6.4 (open to everyone), answered from the latest market
    snapshot: filters currency (default USD), year_from, year_to, country (and asset_kind);
    `coverage` says what each figure counted and left out; a figure with nothing to count is
    null."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[
        OpenApiParameter("currency", str, description="ISO 4217, default USD"),
        OpenApiParameter("year_from", int), OpenApiParameter("year_to", int),
        OpenApiParameter("country", str, description="ISO 3166-1 alpha-2"),
        OpenApiParameter("asset_kind", str)],
        responses={200: dict, 400: OpenApiResponse(description="a bad filter, by field"),
                   503: OpenApiResponse(description="no market snapshot yet")})
    def get(self, request):
        form = MarketFilterForm(request.query_params)
        if not form.is_valid():
            return Response(_errors(form), status=400)
        try:
            snapshot, data = current_data()
        except NoSnapshot:
            return Response({"detail": "The market snapshot is being built; try again in a "
                                       "minute."}, status=503, headers={"Retry-After": "60"})
        result = market.answer(data, **form.params())
        result["snapshot"] = {"id": snapshot.pk, "created_at": snapshot.created_at.isoformat(),
                              "deals": snapshot.deals}
        return Response(result)


# --- the page's figures --------------------------------------------------------------------


def _pct(value):
    return None if value is None else round(100 * value, 2)


class Answers:
    """The answer for the filters, and per year on demand, each computed once per request."""

    def __init__(self, data, params):
        self.data, self.params = data, params
        self.all = market.answer(data, **params)
        self._years: dict[int, dict] = {}

    def per_year(self, key) -> list[tuple]:
        """A scalar figure year by year (the years with deals in scope)."""
        return [(row["year"], self.year(row["year"])[key])
                for row in self.all["issuance_by_year"]]

    def year(self, year: int) -> dict:
        if year not in self._years:
            self._years[year] = market.answer(self.data, **{**self.params, "year_from": year,
                                                             "year_to": year})
        return self._years[year]


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: Callable  # (Answers) -> list of rows
    chart: str = "bar"  # bar, line, stacked, none
    note: str = ""


def _issuance(answers):
    total, rows = 0.0, []
    for row in answers.all["issuance_by_year"]:
        total += row["amount"] or 0.0
        rows.append((row["year"], row["deals"], row["amount"], total))
    return rows


def _coupon_vs_benchmark(answers):
    return [(year, _pct(answers.year(year)["senior_coupon"]["median"]),
             _pct(answers.year(year)["sme_loan_rate"]), answers.year(year)["median_spread_bp"])
            for year, _ in answers.per_year("senior_coupon")]


def _kinds_by_year(answers):
    return [(row["year"], AssetKind(row["kind"]).label if row["kind"] in AssetKind.values
             else row["kind"], row["amount"]) for row in answers.all["by_year_kind"]]


def _single(label_key_pairs):
    def rows(answers):
        return [(label, answers.all[key]) for label, key in label_key_pairs]
    return rows


FIGURES = (
    Figure("issuance", "Issuance by year", ("year", "deals", "amount", "cumulative amount"),
           _issuance, "bar"),
    Figure("ip_share", "IP ABS as a share of all ABS", ("year", "share %"),
           lambda a: [(r["year"], _pct(r["share"])) for r in a.all["ip_share_of_abs"]], "line"),
    Figure("provinces", "Regional distribution (ranked provinces)",
           ("province", "deals", "amount", "share %"),
           lambda a: [(r["province"], r["deals"], r["amount"], _pct(r["share"]))
                      for r in a.all["by_province"]], "bar"),
    Figure("kinds", "Asset-kind mix over time", ("year", "asset kind", "amount"),
           _kinds_by_year, "stacked"),
    Figure("coupon", "Senior coupon against the SME loan benchmark",
           ("year", "median senior coupon %", "SME loan rate %", "median spread bp"),
           _coupon_vs_benchmark, "line"),
    Figure("sme", "SME financing share", ("year", "SME share of financing %"),
           lambda a: [(y, _pct(v)) for y, v in a.per_year("sme_financing_share")], "line"),
    Figure("green", "Green share of pool value and its growth", ("year", "green share %"),
           lambda a: [(r["year"], _pct(r["share"])) for r in a.all["green_share_by_year"]],
           "line"),
    Figure("dispersion", "Valuation dispersion of pooled assets",
           ("dispersion (max - min) / min", "assets", "share %"),
           lambda a: [(r["bucket"], r["assets"], _pct(r["share"]))
                      for r in a.all["valuation_dispersion_distribution"]], "bar",
           "Pooled assets with two or more valuations in one currency; above 30 % is flagged."),
    Figure("defaults", "Default rate by vintage", ("vintage", "deals", "defaulted", "rate %"),
           lambda a: [(r["year"], r["deals"], r["defaulted"], _pct(r["rate"]))
                      for r in a.all["default_rate_by_vintage"]], "bar"),
    Figure("disclosure", "Disclosure completeness and ESG disclosure rate",
           ("year", "incomplete filings %", "ESG fields answered %"),
           lambda a: [(y, _pct(v), _pct(e)) for (y, v), (_, e) in zip(
               a.per_year("disclosure_incomplete_share"), a.per_year("esg_disclosure_rate"),
               strict=True)], "line"),
    Figure("effects", "R&D-intensity and employment effects", ("figure", "value"),
           _single([("R&D intensity change (pp, issue year +1 against -1)",
                     "rnd_intensity_change_pp"),
                    ("employment growth above industry (fraction)",
                     "employment_growth_excess")]), "none"),
    Figure("jurisdictions", "Jurisdictions compared",
           ("jurisdiction", "deals", "amount", "median senior coupon %", "labelled %",
            "SDG claimed %", "filings", "incomplete %", "ESG answered %"),
           lambda a: [(j["jurisdiction"], j["deals"], j["amount"],
                             _pct(j["senior_coupon_median"]), _pct(j["labelled_share"]),
                             _pct(j["sdg_claimed_share"]), j["filings"],
                             _pct(j["disclosure_incomplete_share"]),
                             _pct(j["esg_disclosure_rate"])) for j in a.all["jurisdictions"]],
           "bar"),
)
FIGURES_BY_KEY = {figure.key: figure for figure in FIGURES}


def _chart(figure: Figure, rows, params):
    currency = params["currency"]
    if figure.chart == "stacked":
        years = sorted({row[0] for row in rows})
        kinds = sorted({row[1] for row in rows})
        values = {(row[0], row[1]): row[2] for row in rows}
        return charts.stacked_bar_chart(f"{figure.title} ({currency})", years,
                                        {kind: [values.get((y, kind)) for y in years]
                                         for kind in kinds})
    labels = [row[0] for row in rows]
    # Every numeric column but basis points, which would flatten percentages on one axis.
    series = {column: [row[index] for row in rows]
              for index, column in enumerate(figure.columns) if index > 0
              and not column.endswith(" bp")
              and all(isinstance(row[index], int | float) or row[index] is None
                      for row in rows)}
    if figure.key == "issuance":
        series = {"amount": [row[2] for row in rows], "cumulative": [row[3] for row in rows]}
    if figure.key == "jurisdictions":
        series = {"amount": [row[2] for row in rows]}
    if figure.key == "provinces":
        labels, series = labels[:15], {"amount": [row[2] for row in rows][:15]}
    builder = charts.line_chart if figure.chart == "line" else charts.bar_chart
    return builder(f"{figure.title} ({currency})" if figure.key in (
        "issuance", "provinces", "jurisdictions") else figure.title, labels, series)


class MarketPageView(View):
    """/market/: one section per figure of the market study, with its chart, table and CSV,
    and the findings; filters in the URL; printable."""

    def get(self, request):
        form = MarketFilterForm(request.GET)
        if not form.is_valid():
            return render(request, "disclosure/market.html", {"form": form}, status=400)
        params = form.params()
        try:
            snapshot, data = current_data()
        except NoSnapshot:
            return render(request, "disclosure/market.html", {"form": form, "pending": True},
                          status=503)
        answers = Answers(data, params)
        answer = answers.all
        sections = [(figure, figure.rows(answers)) for figure in FIGURES]
        return render(request, "disclosure/market.html", {
            "form": form, "answer": answer, "sections": sections, "snapshot": snapshot,
            "query": request.GET.urlencode()})


class MarketFigureView(View):
    """One figure's chart (SVG) or table (CSV), for the filters in the query string."""

    def get(self, request, key, fmt):
        figure = FIGURES_BY_KEY.get(key)
        form = MarketFilterForm(request.GET)
        if figure is None or fmt not in ("svg", "csv"):
            raise Http404
        if not form.is_valid():
            return JsonResponse(_errors(form), status=400)
        params = form.params()
        try:
            _, data = current_data()
        except NoSnapshot:
            return JsonResponse({"detail": "no market snapshot yet"}, status=503)
        rows = figure.rows(Answers(data, params))
        if fmt == "csv":
            return exports.csv_response(f"market-{key}.csv", list(figure.columns), rows)
        if figure.chart == "none":
            raise Http404("This figure has no chart; its table is the figure.")
        return charts.svg_response(_chart(figure, rows, params))
