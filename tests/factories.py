"""Factories that create registry records through the real services."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from core import services as core_services
from core import two_factor
from core.choices import Role
from core.models import User
from ipregistry import identifiers, services
from ipregistry.choices import AssetKind, IssuerType, MembershipRole, ValuationMethod
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


class ServiceFactory(DjangoModelFactory):
    """A factory whose objects are made by a service function, as users' objects are."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls.service(actor=None, **kwargs)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.INVESTOR
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery 9")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def otp_device(obj, create, extracted, **kwargs):
        """Regulators and staff have set up two-factor authentication, as the site requires
        of them; `otp_device=False` makes one who has not yet, `True` gives anyone a device."""
        if create and (two_factor.is_required(obj) if extracted is None else extracted):
            core_services.two_factor_enable(actor=None, user=obj, key=two_factor.new_key())


def _uscc(n: int) -> str:
    first17 = f"91440300{n:09d}"
    return first17 + identifiers.uscc_check_character(first17)


class IssuerFactory(ServiceFactory):
    class Meta:
        model = Issuer

    service = staticmethod(services.issuer_create)
    name = factory.Sequence(lambda n: f"Shenzhen Test Technology {n} Co., Ltd.")
    uscc = factory.Sequence(_uscc)
    country = "CN"
    province = "CN-GD"
    city = "Shenzhen"
    issuer_type = IssuerType.SME
    sector = "Clean energy"
    founded_year = 2012


class MembershipFactory(ServiceFactory):
    class Meta:
        model = IssuerMembership

    service = staticmethod(services.membership_add)
    user = factory.SubFactory(UserFactory, role=Role.ISSUER)
    issuer = factory.SubFactory(IssuerFactory)
    role = MembershipRole.APPROVER


class FinancialsFactory(ServiceFactory):
    class Meta:
        model = IssuerFinancials

    service = staticmethod(services.financials_create)
    issuer = factory.SubFactory(IssuerFactory)
    year = factory.Sequence(lambda n: 2000 + n % 26)
    currency = "CNY"
    revenue = Decimal("100000000")
    rnd_expense = Decimal("5000000")
    employees = 300
    high_skill_employees = 120
    patent_applications = 12
    carbon_rnd_expense = Decimal("1000000")


def _cn_patent(n: int) -> str:
    return f"CN{110000000 + n}B"


class IPAssetFactory(ServiceFactory):
    class Meta:
        model = IPAsset

    service = staticmethod(services.asset_create)
    owner = factory.SubFactory(IssuerFactory)
    kind = AssetKind.INVENTION_PATENT
    registry_number = factory.Sequence(_cn_patent)
    title = factory.Sequence(lambda n: f"Battery thermal management method {n}")
    country = "CN"
    filing_date = datetime.date(2018, 3, 1)
    grant_date = datetime.date(2020, 6, 1)
    expiry_date = datetime.date(2038, 3, 1)
    cpc_codes = factory.LazyFunction(lambda: ["H01M 10/613"])
    ipc_codes = factory.LazyFunction(lambda: ["H01M 10/60"])


class ValuationFactory(ServiceFactory):
    class Meta:
        model = Valuation

    service = staticmethod(services.valuation_create)
    asset = factory.SubFactory(IPAssetFactory)
    appraiser = factory.Sequence(lambda n: f"Appraiser {n}")
    method = ValuationMethod.INCOME
    value = Decimal("1000000")
    currency = "CNY"
    valuation_date = datetime.date(2024, 6, 30)


class LicenceFactory(ServiceFactory):
    class Meta:
        model = Licence

    service = staticmethod(services.licence_create)
    asset = factory.SubFactory(IPAssetFactory)
    licensee = factory.Sequence(lambda n: f"Licensee {n}")
    territory = "CN"
    currency = "CNY"
    royalty_rate = Decimal("0.05")
    start_date = datetime.date(2021, 1, 1)
    end_date = datetime.date(2030, 12, 31)


class ReceiptFactory(ServiceFactory):
    class Meta:
        model = RoyaltyReceipt

    service = staticmethod(services.receipt_create)
    licence = factory.SubFactory(LicenceFactory)
    period_end = factory.Sequence(lambda n: datetime.date(2021, 3, 31)
                                  + datetime.timedelta(days=91 * n))
    amount = Decimal("25000")


class PledgeFactory(ServiceFactory):
    class Meta:
        model = Pledge

    service = staticmethod(services.pledge_create)
    asset = factory.SubFactory(IPAssetFactory)
    pledgee = "Bank of Shenzhen"
    registered_date = datetime.date(2023, 5, 1)
