"""The recomputes a regulator (or `manage.py recompute`, or the nightly schedule) can run over
everything: one entry per RecomputeRun kind, each recording its own run."""

from __future__ import annotations

from collections.abc import Callable

from core.models import RecomputeRun
from deals.tasks import recompute_all_risk, recompute_risk_all
from disclosure import market_build
from disclosure.tasks import recompute_all_sdg, recompute_market, recompute_sdg_all

Kind = RecomputeRun.Kind

# kind -> (run it here: fn(trigger=, run_id=, requested_by=, progress=), its Celery task)
RECOMPUTES: dict[str, tuple[Callable, object]] = {
    Kind.RISK: (recompute_all_risk, recompute_risk_all),
    Kind.SDG: (recompute_all_sdg, recompute_sdg_all),
    Kind.MARKET: (market_build.recompute, recompute_market),
}
