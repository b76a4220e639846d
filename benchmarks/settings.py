"""Settings for the benchmark: the project's base settings on the benchmark's own database
(DATABASE_URL, set by benchmarks.run before Django starts), with debugging off so queries are
not recorded. For the pages and the API timed in process (benchmarks.indicators): static file
URLs without a manifest (the benchmark collects no static files; with one, a URL is a lookup in
it), and API rate limits far above what the timed requests send (hundreds a minute from one
address), so that they measure the answer, not the limit (the throttle still counts each)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK, STORAGES

DEBUG = False
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(
    REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}), "1000000/min")}
