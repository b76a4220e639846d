"""Settings for the test suite: fast hashing, in-memory e-mail, eager tasks by default."""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK, STORAGES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run eagerly unless a test starts a real worker (tests/ipregistry/test_worker.py). The
# broker is still set from the start, because even eager calls bind the app's producer pool to
# it: the configured Redis (or the local one), on a database of its own (15) that tests may empty.
CELERY_BROKER_URL = urlsplit(
    env("CELERY_BROKER_URL", default="") or "redis://127.0.0.1:6379/0")._replace(
    path="/15").geturl()
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
AXES_FAILURE_LIMIT = 5
# No rate limits (a rate of None lets every request through): the suite sends everything from
# one address. The tests of the limits set their own (tests/core/test_security.py).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # One test database per process, so two runs on one server never drop each other's.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as in the embedded default: threads (the live server, a Celery worker) then share
    # it with SQLite's ordinary locking instead of the shared-cache table locks of :memory:.
    # One file per test process, so parallel runs in one checkout never share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"ipsec-test-{os.getpid()}.sqlite3")}

# Uploaded files of a test run go to a directory of its own, never into var/media.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"ipsec-test-media-{os.getpid()}"
RISK_PATHS = 2000  # fewer Monte Carlo paths: the tests check behaviour, not precision
