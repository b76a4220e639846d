"""The kinds of request the load sends, one row of statistics each (shared by the locustfile
and the runner, which must not import locust: locust patches the standard library with
gevent when it is imported)."""

TOKEN = "POST /api/v1/auth/token/"
OPEN = "POST /api/v1/filings/"
ANSWERS = "POST /api/v1/filings/{id}/answers/"
SUBMIT = "POST /api/v1/filings/{id}/submit/"
API_SEARCH = "GET /api/v1/deals/?q=..."
PAGE_SEARCH = "GET /deals/?q=..."

ISSUER_REQUESTS = (TOKEN, OPEN, ANSWERS, SUBMIT)
INVESTOR_REQUESTS = (API_SEARCH, PAGE_SEARCH)
ALL = ISSUER_REQUESTS + INVESTOR_REQUESTS
