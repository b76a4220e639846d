"""The admin writes through the services: validated, derived and audited like any other write."""

import pytest
from django.urls import reverse

from core.models import AuditEntry
from ipregistry.models import IPAsset, IssuerMembership
from tests.factories import (
    FinancialsFactory,
    IPAssetFactory,
    LicenceFactory,
    PledgeFactory,
    ReceiptFactory,
    UserFactory,
    ValuationFactory,
)

pytestmark = pytest.mark.django_db

MODELS = ["issuer", "issuerfinancials", "ipasset", "valuation", "licence", "royaltyreceipt",
          "pledge", "issuermembership"]


@pytest.mark.parametrize("model", MODELS)
def test_admin_pages_are_for_staff_only(client, staff, user_a, regulator, model):
    """Staff see every registry changelist; members and regulators are sent to the admin login."""
    asset = IPAssetFactory()
    ValuationFactory(asset=asset)
    ReceiptFactory(licence=LicenceFactory(asset=asset))
    PledgeFactory(asset=asset)
    FinancialsFactory(issuer=asset.owner)
    url = reverse(f"admin:ipregistry_{model}_changelist")
    for user in (user_a, regulator):
        client.force_login(user)
        assert client.get(url).status_code == 302
    client.force_login(staff)
    assert client.get(url).status_code == 200
    assert client.get(reverse(f"admin:ipregistry_{model}_add")).status_code in (200, 403)


def test_admin_create_and_change_go_through_services(client, staff, issuer_a):
    """An asset added in the admin is green-tagged and audited; a change is audited as a diff."""
    client.force_login(staff)
    response = client.post(reverse("admin:ipregistry_ipasset_add"), {
        "owner": issuer_a.pk, "kind": "invention_patent", "registry_number": "cn114000777b",
        "title": "Wind turbine blade", "country": "CN", "cpc_codes": '["Y02E 10/72"]',
        "ipc_codes": "[]", "nice_classes": "[]", "status": "active"})
    assert response.status_code == 302, response.content.decode()[:3000]
    asset = IPAsset.objects.get()
    assert asset.registry_number == "CN114000777B"
    assert asset.green and asset.green_categories == ["Y02E"]
    assert AuditEntry.objects.filter(action="ipregistry.ipasset.create", actor=staff).exists()

    response = client.post(reverse("admin:ipregistry_ipasset_change", args=[asset.pk]), {
        "owner": issuer_a.pk, "kind": "invention_patent", "registry_number": "CN114000777B",
        "title": "Wind turbine blade with sensor", "country": "CN",
        "cpc_codes": '["Y02E 10/72"]', "ipc_codes": "[]", "nice_classes": "[]",
        "status": "active"})
    assert response.status_code == 302
    change = AuditEntry.objects.get(action="ipregistry.ipasset.update")
    assert change.changes == {"title": ["Wind turbine blade", "Wind turbine blade with sensor"]}


def test_admin_refuses_invalid_identifiers(client, staff):
    """A corrupted LEI typed in the admin is refused under its field."""
    client.force_login(staff)
    response = client.post(reverse("admin:ipregistry_issuer_add"), {
        "name": "Bad LEI Ltd", "lei": "HWUPKR0MPOU8FGXBT395", "country": "US",
        "issuer_type": "large"})
    assert response.status_code == 200
    assert "check digits" in response.content.decode()


def test_admin_memberships_are_audited(client, staff, issuer_a):
    """Adding and removing a membership in the admin each leave an audit entry."""
    member = UserFactory(username="newmember", role="issuer")
    client.force_login(staff)
    response = client.post(reverse("admin:ipregistry_issuermembership_add"), {
        "user": member.pk, "issuer": issuer_a.pk, "role": "preparer"})
    assert response.status_code == 302
    membership = IssuerMembership.objects.get(user=member)
    response = client.post(reverse("admin:ipregistry_issuermembership_delete",
                                   args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not IssuerMembership.objects.filter(user=member).exists()
    actions = set(AuditEntry.objects.filter(object_type="ipregistry.issuermembership")
                  .values_list("action", flat=True))
    assert actions == {"ipregistry.issuermembership.create", "ipregistry.issuermembership.delete"}
