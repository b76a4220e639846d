"""The audit log page: regulators and staff browse every write (actor, time, object, before and
after), filtered; nobody else may."""

import pytest
from django.urls import reverse

from ipregistry import services

pytestmark = pytest.mark.django_db


def test_regulators_browse_writes_with_before_and_after(client, regulator, user_a, issuer_a):
    services.issuer_update(actor=user_a, issuer=issuer_a, city="Dongguan")
    client.force_login(regulator)
    page = client.get(reverse("audit-log"), {"action": "ipregistry.issuer.update"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "alice" in body and "ipregistry.issuer.update" in body
    assert "Shenzhen → Dongguan" in body
    assert "ipregistry.issuer.create" not in body  # filtered out
    assert client.get(reverse("audit-log"), {"since": "not-a-date"}).status_code == 200


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("user_a", 403),
                                          ("investor", 403), ("regulator", 200),
                                          ("staff", 200)])
def test_only_regulators_and_staff(client, request, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("audit-log")).status_code == status
