"""Admin for support staff: deals are browsed here and changed on the pages and the API,
where the status machine and pool isolation apply; benchmarks and FX rates are written
through their services, so admin changes are validated and audited too."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from deals import services
from deals.models import (
    Benchmark,
    CreditEnhancement,
    Deal,
    DealEvent,
    FxRate,
    PoolAsset,
    ServicerReport,
    Tranche,
)
from ipregistry.admin import ServiceAdmin


class TrancheInline(admin.TabularInline):
    model = Tranche
    extra = 0
    can_delete = False
    readonly_fields = ("name", "rank", "size", "balance", "coupon_type", "coupon_rate",
                       "rating", "rating_agency", "expected_maturity")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ("name", "originator", "country", "structure", "status", "issue_date",
                    "size", "currency")
    list_filter = ("status", "structure", "country", "label")
    search_fields = ("name", "spv_name", "originator__name", "external_ref")
    list_select_related = ("originator",)
    inlines = [TrancheInline]


@admin.register(CreditEnhancement)
class EnhancementAdmin(ReadOnlyAdmin):
    list_display = ("deal", "kind", "amount", "percent", "provider")
    list_filter = ("kind",)


@admin.register(PoolAsset)
class PoolAssetAdmin(ReadOnlyAdmin):
    list_display = ("deal", "asset", "cutoff_value", "financing_amount", "live")
    list_filter = ("live",)
    search_fields = ("deal__name", "asset__registry_number", "asset__title")
    list_select_related = ("deal", "asset")


@admin.register(ServicerReport)
class ServicerReportAdmin(ReadOnlyAdmin):
    list_display = ("deal", "period", "period_end", "collections", "created_at")


@admin.register(DealEvent)
class DealEventAdmin(ReadOnlyAdmin):
    list_display = ("deal", "date", "event_type", "details")
    list_filter = ("event_type",)


@admin.register(Benchmark)
class BenchmarkAdmin(ServiceAdmin):
    create_service = services.benchmark_create
    update_service = services.benchmark_update
    instance_argument = "benchmark"
    list_display = ("country", "year", "currency", "sme_loan_rate", "total_abs_issuance",
                    "industry_employment_growth")
    list_filter = ("country",)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FxRate)
class FxRateAdmin(ServiceAdmin):
    create_service = services.fx_create
    update_service = services.fx_update
    instance_argument = "rate"
    list_display = ("currency", "year", "rate_to_usd")
    list_filter = ("currency",)

    def has_delete_permission(self, request, obj=None):
        return False
