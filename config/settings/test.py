"""Settings for the test suite: fast hashing, in-memory e-mail, eager tasks by default."""

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests decide for themselves when a real broker is used (tests/ipregistry/test_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
AXES_FAILURE_LIMIT = 5
