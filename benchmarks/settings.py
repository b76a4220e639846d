"""Settings for the benchmark: the project's base settings on the benchmark's own database
(DATABASE_URL, set by benchmarks.run before Django starts), with debugging off so queries are
not recorded."""

from config.settings.base import *  # noqa: F403

DEBUG = False
