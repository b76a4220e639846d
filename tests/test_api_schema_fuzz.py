"""Schemathesis against /api/schema/ (issue 7): generated requests, valid and not, to every
API operation, anonymously and as a signed-in user; no answer is a server error, and every
documented answer conforms to the schema (body and content type).

The operations are walked here and each gets hypothesis-generated cases from schemathesis'
strategies (its pytest plugin does not run under this project's pytest)."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import api_token

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.content_type_conformance]
EXAMPLES = 12


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json",
                                            get_wsgi_application())
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation, headers=None):
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(checks=CHECKS, headers=headers)

    run()


def _fuzz_all(headers=None):
    failures = []
    for operation in _operations():
        try:
            _fuzz(operation, headers)
        except Exception as exc:  # collect them all, then fail with the list
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)


def test_every_operation_anonymously(db):
    _fuzz_all()


@pytest.mark.parametrize("role", ["user_a", "regulator", "staff"])
def test_every_operation_signed_in(request, role, issuer_a):
    """An issuer's member, a regulator and staff (who may write anything): their writes are
    real, so generated bodies that happen to be valid create records, as a client's would."""
    user = request.getfixturevalue(role)
    _fuzz_all({"Authorization": f"Token {api_token(user)}"})
