"""seed_demo loads a calibrated, repeatable demo registry and the demo logins, once.

seed_demo also loads the deals demo (tests/deals/test_demo.py), which adds the originators,
beneficiary SMEs and pool assets of its deals; the calibration checked here is the registry
demo's own, so the tests below look at the registry plan's issuers and assets.
"""

import random
from collections import Counter
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.choices import Role
from core.models import User
from ipregistry import demo, identifiers
from ipregistry.choices import PATENT_KINDS, AssetKind, AssetStatus, IssuerType, MembershipRole
from ipregistry.dispersion import valuation_dispersion
from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    IssuerMembership,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)

pytestmark = pytest.mark.django_db

MODELS = (User, Issuer, IssuerMembership, IssuerFinancials, IPAsset, Valuation, Licence,
          RoyaltyReceipt, Pledge)
# Leading digits of the division code of each province the demo uses.
PROVINCE_DIVISIONS = {"CN-GD": "44", "CN-BJ": "11", "CN-SH": "31", "CN-ZJ": "33", "CN-JS": "32",
                      "CN-HN": "43", "CN-HB": "42", "CN-SC": "51", "CN-SN": "61"}


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    """Seed once for the module, in a transaction rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _registry_plan():
    return demo.plan_registry(random.Random(demo.DEFAULT_SEED), as_of=timezone.localdate())


@pytest.fixture
def assets(seed_output):
    """The registry demo's assets (the deals demo adds pool assets of its own)."""
    planned = {(asset.fields["country"], asset.fields["kind"], asset.fields["registry_number"])
               for plan in _registry_plan() for asset in plan.assets}
    return [asset for asset in IPAsset.objects.prefetch_related("valuations")
            if (asset.country, asset.kind, asset.registry_number) in planned]


def _registry_issuers():
    return Issuer.objects.filter(name__in=[profile.name for profile in demo.ISSUERS])


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_a_second_run_changes_nothing(seed_output):
    before = _counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo data already loaded" in out.getvalue()
    assert _counts() == before


def test_the_summary_counts_records_and_lists_the_logins(seed_output):
    counted = {}
    for line in seed_output.splitlines():
        label, _, count = line.strip().rpartition(" ")
        if line.startswith("  ") and count.isdigit():
            counted[label.strip()] = int(count)
    assert counted["IP assets"] == IPAsset.objects.count()
    assert counted["valuations"] == Valuation.objects.count()
    assert counted["royalty receipts"] == RoyaltyReceipt.objects.count()
    assert f"Demo logins (password: {demo.DEMO_PASSWORD})" in seed_output
    for username, *_ in demo.DEMO_USERS:
        assert f"  {username} " in seed_output


def test_the_registry_is_about_the_planned_size(assets):
    counts = _counts()
    issuers = _registry_issuers().count()
    assert 35 <= issuers <= 50
    assert 350 <= len(assets) <= 500
    assert counts["Valuation"] >= len(assets)
    assert counts["RoyaltyReceipt"] > counts["Licence"] > 0
    assert counts["IssuerFinancials"] > 5 * issuers


def test_one_seed_gives_one_registry():
    as_of = timezone.localdate()

    def numbers_and_values(seed):
        plans = demo.plan_registry(random.Random(seed), as_of=as_of)
        return ([asset.fields["registry_number"] for plan in plans for asset in plan.assets],
                [row["value"] for plan in plans for asset in plan.assets
                 for row in asset.valuations])

    assert numbers_and_values(7) == numbers_and_values(7)
    assert numbers_and_values(7) != numbers_and_values(8)


def test_the_database_holds_the_plan_of_the_default_seed(assets):
    planned = [asset for plan in _registry_plan() for asset in plan.assets]
    assert sorted(a.fields["registry_number"] for a in planned) == sorted(
        a.registry_number for a in assets)
    assert Counter(row["value"] for a in planned for row in a.valuations) == Counter(
        Valuation.objects.values_list("value", flat=True))


def test_every_asset_kind_is_present(assets):
    assert {asset.kind for asset in assets} == set(AssetKind.values)
    kinds = Counter(asset.kind for asset in assets)
    assert kinds.most_common(1)[0][0] == AssetKind.INVENTION_PATENT


def test_every_registry_number_is_in_its_canonical_format(assets):
    for asset in assets:
        assert identifiers.normalize_registry_number(
            asset.kind, asset.country, asset.registry_number) == asset.registry_number


def test_issuer_identifiers_pass_their_checks(seed_output):
    for issuer in _registry_issuers():
        if issuer.country == "CN" and issuer.issuer_type != IssuerType.INDIVIDUAL:
            assert identifiers.normalize_uscc(issuer.uscc) == issuer.uscc
            assert issuer.uscc[2:4] == PROVINCE_DIVISIONS[issuer.province], issuer
        elif issuer.issuer_type == IssuerType.LARGE:
            assert identifiers.normalize_lei(issuer.lei) == issuer.lei
        else:
            assert not issuer.uscc and not issuer.lei


def test_about_one_asset_in_three_is_appraised_over_30_percent_apart(assets):
    compared = [asset for asset in assets if len(asset.valuations.all()) >= 2]
    for asset in compared:
        expected = valuation_dispersion(v.value for v in asset.valuations.all())
        assert asset.valuation_dispersion == expected.quantize(Decimal("0.000001"))
        assert asset.dispersion_flagged == (expected > Decimal("0.30"))
    flagged = sum(asset.dispersion_flagged for asset in compared)
    assert 0.2 <= flagged / len(compared) <= 0.5


def test_valuations_are_dated_2019_to_2025_and_never_in_the_future(seed_output):
    today = timezone.localdate()
    for valuation in Valuation.objects.select_related("asset__owner"):
        assert date(2019, 1, 1) <= valuation.valuation_date <= min(today, date(2025, 12, 31))
        assert valuation.currency == demo.CURRENCY[valuation.asset.owner.country]


def test_about_a_quarter_of_patents_are_green_by_cpc(assets):
    patents = [asset for asset in assets if asset.kind in PATENT_KINDS]
    by_cpc = [asset for asset in patents
              if any(code.startswith(("Y02", "Y04S")) for code in asset.cpc_codes)]
    assert 0.15 <= len(by_cpc) / len(patents) <= 0.4
    assert all(asset.green for asset in by_cpc)
    # Some assets are green through the IPC Green Inventory alone.
    assert any(asset.green and asset not in by_cpc for asset in patents)


def test_classification_codes_sit_on_the_right_kinds(assets):
    for asset in assets:
        if asset.kind not in PATENT_KINDS:
            assert not asset.cpc_codes and not asset.ipc_codes
        if asset.kind != AssetKind.TRADEMARK:
            assert not asset.nice_classes
    assert all(asset.nice_classes for asset in assets if asset.kind == AssetKind.TRADEMARK)


def test_asset_dates_and_status_agree(assets):
    today = timezone.localdate()
    for asset in assets:
        if asset.filing_date and asset.grant_date:
            assert asset.filing_date <= asset.grant_date
        if asset.grant_date and asset.expiry_date:
            assert asset.grant_date <= asset.expiry_date
        if asset.expiry_date and asset.expiry_date < today:
            assert asset.status == AssetStatus.EXPIRED
    statuses = Counter(asset.status for asset in assets)
    assert statuses.most_common(1)[0][0] == AssetStatus.ACTIVE
    assert set(statuses) == set(AssetStatus.values)


def test_licences_receipts_and_pledges_look_like_a_market(assets):
    today = timezone.localdate()
    ids = [asset.pk for asset in assets]
    licensed = IPAsset.objects.filter(pk__in=ids, licences__isnull=False).distinct().count()
    pledged = IPAsset.objects.filter(pk__in=ids, pledges__isnull=False).distinct().count()
    assert 0.2 <= licensed / len(assets) <= 0.4
    assert 0.1 <= pledged / len(assets) <= 0.3
    assert Pledge.objects.filter(released_date__isnull=False).exists()
    assert Pledge.objects.filter(released_date__isnull=True).exists()
    for licence in Licence.objects.all():
        assert (licence.royalty_rate is None) != (licence.fixed_fee is None)
        if licence.royalty_rate is not None:
            assert Decimal("0.02") <= licence.royalty_rate <= Decimal("0.08")
    for period_end in RoyaltyReceipt.objects.values_list("period_end", flat=True):
        assert 2021 <= period_end.year <= 2025 and period_end <= today
        assert (period_end + date.resolution).day == 1  # a quarter end


def test_financials_are_consistent_and_show_the_financing_effect(seed_output):
    for row in IssuerFinancials.objects.select_related("issuer"):
        assert 2019 <= row.year <= 2025
        assert row.currency == demo.CURRENCY[row.issuer.country]
    showcase = {row.year: row for row in Issuer.objects.get(
        name=demo.SHOWCASE_ISSUER).financials.all()}
    assert sorted(showcase) == list(range(2019, 2026))
    # The showcase issuer joined a financing in 2021: compare 2022 with 2020.
    before, after = showcase[2020], showcase[2022]
    assert 0.01 <= after.rnd_intensity - before.rnd_intensity <= 0.06
    assert after.employees / before.employees - 1 >= 0.12
    assert after.carbon_rnd_expense > before.carbon_rnd_expense


def test_demo_logins_have_their_roles_and_memberships(seed_output):
    users = {user.username: user for user in User.objects.filter(username__startswith="demo-")}
    assert set(users) == {row[0] for row in demo.DEMO_USERS}
    for user in users.values():
        assert user.check_password(demo.DEMO_PASSWORD)
    memberships = {(m.user.username, m.issuer.name, m.role)
                   for m in IssuerMembership.objects.select_related("user", "issuer")}
    assert memberships == {
        ("demo-issuer", demo.SHOWCASE_ISSUER, MembershipRole.APPROVER),
        ("demo-issuer-2", demo.SECOND_ISSUER, MembershipRole.APPROVER),
        ("demo-preparer", demo.SHOWCASE_ISSUER, MembershipRole.PREPARER),
    }
    assert {name: users[name].role for name in ("demo-issuer", "demo-issuer-2",
                                                "demo-preparer", "demo-regulator",
                                                "demo-investor")} == {
        "demo-issuer": Role.ISSUER, "demo-issuer-2": Role.ISSUER,
        "demo-preparer": Role.ISSUER, "demo-regulator": Role.REGULATOR,
        "demo-investor": Role.INVESTOR}
    assert users["demo-admin"].is_staff and users["demo-admin"].is_superuser
    assert not any(users[name].is_staff for name in users if name != "demo-admin")


def test_the_demo_issuer_has_the_whole_story(seed_output):
    issuer = Issuer.objects.get(memberships__user__username="demo-issuer")
    assert (issuer.country, issuer.province, issuer.city, issuer.issuer_type) == (
        "CN", "CN-GD", "Shenzhen", IssuerType.SME)
    assert issuer.assets.count() >= 10
    assert Valuation.objects.filter(asset__owner=issuer).count() >= issuer.assets.count()
    assert RoyaltyReceipt.objects.filter(licence__asset__owner=issuer).count() >= 4
    assert Pledge.objects.filter(asset__owner=issuer).exists()
    second = Issuer.objects.get(memberships__user__username="demo-issuer-2")
    assert second != issuer and second.province == "CN-BJ"


def test_guangdong_leads_the_chinese_issuers(seed_output):
    provinces = Counter(Issuer.objects.filter(country="CN").values_list("province", flat=True))
    assert provinces.most_common(1)[0][0] == "CN-GD"
    assert len(provinces) >= 7
    assert len(set(Issuer.objects.values_list("country", flat=True))) >= 7
    types = Counter(Issuer.objects.values_list("issuer_type", flat=True))
    assert types.most_common(1)[0][0] == IssuerType.SME
    assert set(types) == set(IssuerType.values)
