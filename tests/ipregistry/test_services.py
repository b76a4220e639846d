"""Registry services: validation naming the field, derived fields, audit, side effects."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry, OutboxJob
from ipregistry import services
from ipregistry.dispersion import is_dispersion_flagged, valuation_dispersion
from ipregistry.models import IPAsset, Issuer
from tests.factories import (
    FinancialsFactory,
    IPAssetFactory,
    LicenceFactory,
    PledgeFactory,
    ValuationFactory,
)

pytestmark = pytest.mark.django_db

HUAWEI_USCC = "914403001922038216"
APPLE_LEI = "HWUPKR0MPOU8FGXBT394"


def _issuer_data(**overrides):
    data = {"name": "Test Issuer", "country": "CN", "province": "CN-GD", "city": "Shenzhen",
            "issuer_type": "sme"}
    return {**data, **overrides}


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("lei", "HWUPKR0MPOU8FGXBT395", "check digits"),
    ("lei", "HWUPKR0MPOU8FGXBT39", "20 characters"),
    ("uscc", "914403001922038217", "check"),
    ("uscc", "91440300192203821I", "not allowed"),
    ("country", "XX", "ISO 3166-1"),
    ("province", "CN-ZZ", "ISO 3166-2"),
    ("province", "US-CA", "not of CN"),
    ("issuer_type", "bank", "not a valid choice"),
])
def test_issuer_refuses_bad_input_naming_the_field(field, value, fragment):
    """Each bad identifier or code is refused under its own field, saying what is wrong."""
    with pytest.raises(ValidationError) as caught:
        services.issuer_create(actor=None, **_issuer_data(**{field: value}))
    assert field in caught.value.message_dict
    assert fragment in " ".join(caught.value.message_dict[field])
    assert not Issuer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_issuer_identifiers_are_normalized_and_unique():
    """Identifiers are stored canonically; a second issuer with the same LEI is refused."""
    issuer = services.issuer_create(actor=None, **_issuer_data(
        uscc=HUAWEI_USCC.lower(), lei=" " + APPLE_LEI.lower()))
    assert issuer.uscc == HUAWEI_USCC and issuer.lei == APPLE_LEI
    assert issuer.external_ref == f"issuer-{issuer.pk}"
    with pytest.raises(ValidationError) as caught:
        services.issuer_create(actor=None, **_issuer_data(name="Other", lei=APPLE_LEI))
    assert "Another issuer has this LEI." in str(caught.value)


def test_every_change_is_audited_with_its_diff(user_a, issuer_a):
    """Create, update and delete each write an audit entry naming the actor and the change."""
    asset = services.asset_create(actor=user_a, owner=issuer_a, kind="trademark",
                                  registry_number="第12345678号", title="ALPHA", country="CN",
                                  nice_classes=[9, 42])
    services.asset_update(actor=user_a, asset=asset, title="ALPHA SOLAR")
    services.asset_delete(actor=user_a, asset=asset)
    entries = list(AuditEntry.objects.filter(object_type="ipregistry.ipasset")
                   .order_by("id").values_list("action", "changes", "actor"))
    assert [action for action, _, _ in entries] == [
        "ipregistry.ipasset.create", "ipregistry.ipasset.update", "ipregistry.ipasset.delete"]
    assert entries[0][1]["registry_number"] == "12345678"
    assert entries[1][1] == {"title": ["ALPHA", "ALPHA SOLAR"]}
    assert {actor for _, _, actor in entries} == {user_a.pk}


def test_update_that_changes_nothing_is_not_audited(issuer_a):
    """Saving identical values leaves no audit noise."""
    before = AuditEntry.objects.count()
    services.issuer_update(actor=None, issuer=issuer_a, name=issuer_a.name)
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(("cpc", "ipc", "green", "categories"), [
    (["Y02E 10/50"], [], True, ["Y02E"]),
    (["y04s10/123"], [], True, ["Y04S"]),
    (["H01L 31/042"], [], False, []),
    ([], ["F03D 1/00"], True, ["IPC:alternative_energy_production"]),
    (["Y02T 10/70", "Y02E 60/10"], ["B60L 7/12"], True,
     ["IPC:transportation", "Y02E", "Y02T"]),
])
def test_green_tagging_is_derived_from_codes(issuer_a, cpc, ipc, green, categories):
    """Green and its categories come from the codes, never from input."""
    asset = IPAssetFactory(owner=issuer_a, cpc_codes=cpc, ipc_codes=ipc)
    assert asset.green is green
    assert asset.green_categories == categories
    services.asset_update(actor=None, asset=asset, cpc_codes=[], ipc_codes=[])
    assert not asset.green and asset.green_categories == []


@pytest.mark.parametrize(("data", "field"), [
    ({"registry_number": "US10123456B2"}, "registry_number"),
    ({"cpc_codes": ["not a code"]}, "cpc_codes"),
    ({"kind": "trademark", "registry_number": "1234567", "cpc_codes": ["Y02E 10/50"]},
     "cpc_codes"),
    ({"nice_classes": [46]}, "nice_classes"),
    ({"filing_date": date(2020, 1, 1), "expiry_date": date(2019, 1, 1)}, "__all__"),
    ({"country": "ZZ"}, "country"),
])
def test_asset_refuses_bad_input_naming_the_field(issuer_a, data, field):
    """Registry numbers, codes, classes and dates are checked, each under its field."""
    fields = {"owner": issuer_a, "kind": "invention_patent", "registry_number": "CN112345678B",
              "title": "Solar cell", "country": "CN", **data}
    with pytest.raises(ValidationError) as caught:
        services.asset_create(actor=None, **fields)
    assert field in caught.value.message_dict
    assert not IPAsset.objects.exists()


def test_same_registry_number_cannot_be_registered_twice(issuer_a, issuer_b):
    """A registry number is unique per country and kind, whoever registers it."""
    IPAssetFactory(owner=issuer_a, registry_number="CN112345678B")
    with pytest.raises(ValidationError, match="already registered"):
        IPAssetFactory(owner=issuer_b, registry_number="CN 112345678 B")


@pytest.mark.parametrize(("values", "expected"), [
    ([], None),
    ([Decimal("100")], None),
    ([Decimal("100"), Decimal("100")], Decimal("0")),
    ([Decimal("100"), Decimal("130")], Decimal("0.3")),
    ([Decimal("100"), Decimal("140"), Decimal("120")], Decimal("0.4")),
])
def test_dispersion_formula(values, expected):
    """Dispersion is (max - min) / min; exactly 30 % is not flagged, above it is."""
    assert valuation_dispersion(values) == expected
    assert is_dispersion_flagged(expected) is (expected is not None and expected > Decimal("0.3"))


def test_dispersion_follows_valuations(issuer_a, django_capture_on_commit_callbacks):
    """Adding, changing and removing valuations recompute the stored dispersion after commit."""
    asset = IPAssetFactory(owner=issuer_a)
    with django_capture_on_commit_callbacks(execute=True):
        low = ValuationFactory(asset=asset, value=Decimal("1000000"))
        ValuationFactory(asset=asset, value=Decimal("1400000"))
    asset.refresh_from_db()
    assert (asset.valuation_dispersion, asset.dispersion_flagged) == (Decimal("0.4"), True)
    with django_capture_on_commit_callbacks(execute=True):
        services.valuation_update(actor=None, valuation=low, value=Decimal("1200000"))
    asset.refresh_from_db()
    assert asset.valuation_dispersion == Decimal("0.166667") and not asset.dispersion_flagged
    with django_capture_on_commit_callbacks(execute=True):
        services.valuation_delete(actor=None, valuation=low)
    asset.refresh_from_db()
    assert asset.valuation_dispersion is None
    assert asset.dispersion_note == "fewer than two valuations"


def test_dispersion_is_not_computed_across_currencies(issuer_a,
                                                      django_capture_on_commit_callbacks):
    """Valuations in different currencies are not compared; the note says why."""
    asset = IPAssetFactory(owner=issuer_a)
    with django_capture_on_commit_callbacks(execute=True):
        ValuationFactory(asset=asset, value=Decimal("100"), currency="CNY")
        ValuationFactory(asset=asset, value=Decimal("100"), currency="USD")
    asset.refresh_from_db()
    assert asset.valuation_dispersion is None
    assert asset.dispersion_note == "valuations in several currencies: CNY, USD"


def test_one_recompute_per_asset_however_many_valuations(issuer_a,
                                                         django_capture_on_commit_callbacks):
    """Bulk callers enqueue one task per asset, not one per valuation."""
    asset = IPAssetFactory(owner=issuer_a)
    with django_capture_on_commit_callbacks():
        for value in (100, 110, 120, 130):
            services.valuation_create(actor=None, recompute=False, asset=asset,
                                      appraiser=f"A{value}", method="cost", value=value,
                                      currency="CNY", valuation_date=date(2024, 1, 1))
        services.recompute_dispersion_after_commit([asset.pk] * 4)
        assert list(OutboxJob.objects.filter(task__endswith="dispersion")
                    .values_list("key", flat=True)) == [str(asset.pk)]


@pytest.mark.parametrize(("factory", "data", "field"), [
    (ValuationFactory, {"value": Decimal("0")}, "__all__"),
    (ValuationFactory, {"valuation_date": date.today() + timedelta(days=1)}, "valuation_date"),
    (ValuationFactory, {"currency": "yuan"}, "currency"),
    (LicenceFactory, {"royalty_rate": None, "fixed_fee": None}, "__all__"),
    (LicenceFactory, {"royalty_rate": Decimal("1.5")}, "__all__"),
    (PledgeFactory, {"released_date": date(2020, 1, 1)}, "__all__"),
    (FinancialsFactory, {"high_skill_employees": 400, "employees": 300}, "__all__"),
    (FinancialsFactory, {"carbon_rnd_expense": Decimal("9000000")}, "carbon_rnd_expense"),
    (FinancialsFactory, {"revenue": Decimal("-1")}, "__all__"),
])
def test_records_refuse_impossible_values(issuer_a, factory, data, field):
    """Amounts, rates, dates and counts that cannot be true are refused with a reason."""
    with pytest.raises(ValidationError) as caught:
        factory(**data)
    assert field in caught.value.message_dict


def test_nightly_sweep_recomputes_every_valued_asset(issuer_a):
    """The beat job recomputes each asset with valuations, repairing a stale figure."""
    from ipregistry.tasks import recompute_all_dispersions

    valued = IPAssetFactory(owner=issuer_a)
    ValuationFactory(asset=valued, value=Decimal("100"))
    ValuationFactory(asset=valued, value=Decimal("150"))
    IPAssetFactory(owner=issuer_a)
    IPAsset.objects.filter(pk=valued.pk).update(valuation_dispersion=None)
    assert recompute_all_dispersions.delay().get() == 1
    valued.refresh_from_db()
    assert valued.valuation_dispersion == Decimal("0.5") and valued.dispersion_flagged
