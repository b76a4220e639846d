"""Factories that create deals through the real services (deal_create, tranche_create,
pool_add, deal_transition), so derived fields (search text, vector, facets) are as in use."""

import datetime
from decimal import Decimal

import factory

from deals import services
from deals.choices import DealStatus, Structure
from deals.models import Deal, PoolAsset, Tranche
from tests.factories import IPAssetFactory, IssuerFactory, ServiceFactory


class DealFactory(ServiceFactory):
    class Meta:
        model = Deal

    service = staticmethod(services.deal_create)
    name = factory.Sequence(lambda n: f"Test Intellectual Property ABS {n}")
    originator = factory.SubFactory(IssuerFactory)
    spv_name = factory.Sequence(lambda n: f"Test Trust Plan {n}")
    venue = "SZSE"
    country = "CN"
    province = "CN-GD"
    city = "Shenzhen"
    structure = Structure.LICENCE_ROYALTY
    issue_date = datetime.date(2023, 6, 1)
    legal_final_date = datetime.date(2028, 6, 1)
    currency = "CNY"
    size = Decimal("500000000")
    sdg_targets = factory.LazyFunction(list)
    use_of_proceeds = ""


class TrancheFactory(ServiceFactory):
    class Meta:
        model = Tranche

    service = staticmethod(services.tranche_create)
    deal = factory.SubFactory(DealFactory)
    name = factory.Sequence(lambda n: f"A{n}")
    rank = 1
    size = Decimal("400000000")
    coupon_rate = Decimal("0.045")
    rating = "AAA"


class PoolAssetFactory(ServiceFactory):
    class Meta:
        model = PoolAsset

    service = staticmethod(services.pool_add)
    deal = factory.SubFactory(DealFactory)
    asset = factory.SubFactory(IPAssetFactory, owner=factory.SelfAttribute("..deal.originator"))
    cutoff_value = Decimal("10000000")
    financing_amount = Decimal("0")


_trademark_numbers = iter(range(1_000_000, 99_999_999))


def asset(kind: str = "invention_patent", **fields):
    """An IP asset of any kind with a registry number valid for its kind (CN)."""
    if kind == "trademark":
        fields.setdefault("registry_number", str(next(_trademark_numbers)))
        fields.setdefault("cpc_codes", [])
        fields.setdefault("ipc_codes", [])
    elif kind == "copyright_software":
        fields.setdefault("registry_number", f"2021SR{next(_trademark_numbers):07d}")
        fields.setdefault("cpc_codes", [])
        fields.setdefault("ipc_codes", [])
    elif kind not in ("invention_patent",):
        fields.setdefault("registry_number", f"{kind.upper()}-{next(_trademark_numbers)}")
        fields.setdefault("cpc_codes", [])
        fields.setdefault("ipc_codes", [])
    return IPAssetFactory(kind=kind, **fields)


def issued_deal(*, coupon=Decimal("0.045"), rating="AAA", assets=(), status=DealStatus.ISSUED,
                **fields) -> Deal:
    """A deal with one senior tranche and a pool, moved through the status machine.

    `assets`: IP assets, or asset kinds (a new asset of the originator is made for each).
    """
    deal = DealFactory(**fields)
    TrancheFactory(deal=deal, coupon_rate=coupon, rating=rating)
    pool = list(assets) or ["invention_patent"]
    for item in pool:
        entry = item if not isinstance(item, str) else asset(item, owner=deal.originator)
        PoolAssetFactory(deal=deal, asset=entry)
    path = {DealStatus.DRAFT: [], DealStatus.REGISTERED: [DealStatus.REGISTERED],
            DealStatus.ISSUED: [DealStatus.REGISTERED, DealStatus.ISSUED],
            DealStatus.AMORTIZING: [DealStatus.REGISTERED, DealStatus.ISSUED,
                                    DealStatus.AMORTIZING],
            DealStatus.MATURED: [DealStatus.REGISTERED, DealStatus.ISSUED, DealStatus.MATURED],
            DealStatus.DEFAULTED: [DealStatus.REGISTERED, DealStatus.ISSUED,
                                   DealStatus.DEFAULTED]}[status]
    for step in path:
        deal = services.deal_transition(actor=None, deal=deal, to_status=step)
    return Deal.objects.get(pk=deal.pk)
