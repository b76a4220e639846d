from rest_framework import serializers

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
from deals.selectors import financing_cost


class TrancheSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tranche
        fields = ["id", "deal", "name", "rank", "size", "balance", "coupon_type", "coupon_rate",
                  "rating", "rating_agency", "expected_maturity"]
        read_only_fields = ["balance"]


class EnhancementSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditEnhancement
        fields = ["id", "deal", "kind", "amount", "percent", "provider"]


class PoolAssetSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="asset.kind", read_only=True)
    title = serializers.CharField(source="asset.title", read_only=True)
    beneficiary = serializers.CharField(source="asset.owner.name", read_only=True)
    green = serializers.BooleanField(source="asset.green", read_only=True)

    class Meta:
        model = PoolAsset
        fields = ["id", "deal", "asset", "cutoff_value", "financing_amount", "live", "kind",
                  "title", "beneficiary", "green"]
        read_only_fields = ["live"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DealEvent
        fields = ["id", "deal", "date", "event_type", "details", "report"]


class ServicerReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServicerReport
        fields = ["id", "deal", "period", "period_end", "collections", "collections_by_asset",
                  "result", "created_at"]
        read_only_fields = ["period", "result", "created_at"]


class DealSerializer(serializers.ModelSerializer):
    originator_name = serializers.CharField(source="originator.name", read_only=True)
    status = serializers.CharField(read_only=True)
    financing_cost = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = ["id", "name", "originator", "originator_name", "spv_name", "trustee",
                  "arranger", "venue", "country", "province", "city", "structure", "status",
                  "announce_date", "issue_date", "legal_final_date", "currency", "size", "label",
                  "sdg_targets", "use_of_proceeds", "periods_per_year", "projected_collections",
                  "fees", "reserve", "waterfall_steps", "default_missed_periods", "issue_year",
                  "senior_coupon", "senior_rating", "rating_bucket", "financing_cost",
                  "external_ref"]
        read_only_fields = ["issue_year", "senior_coupon", "senior_rating", "rating_bucket"]

    def get_financing_cost(self, deal) -> dict:
        benchmarks = self.context.get("benchmarks")
        cost = financing_cost(deal, benchmarks)
        return {"senior_coupon": cost.senior_coupon, "benchmark_rate": cost.benchmark_rate,
                "spread_bp": None if cost.spread_bp is None else round(float(cost.spread_bp), 1),
                "missing": cost.missing or None}


class DealDetailSerializer(DealSerializer):
    tranches = TrancheSerializer(many=True, read_only=True)
    enhancements = EnhancementSerializer(many=True, read_only=True)
    pool = PoolAssetSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = DealSerializer.Meta.fields + ["tranches", "enhancements", "pool", "events"]


class TransitionSerializer(serializers.Serializer):
    status = serializers.CharField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BenchmarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Benchmark
        fields = ["id", "country", "year", "currency", "sme_loan_rate", "total_abs_issuance",
                  "industry_employment_growth"]


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "year", "rate_to_usd"]
