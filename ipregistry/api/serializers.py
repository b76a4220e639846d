from rest_framework import serializers

from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)
from ipregistry.permissions import Record, readable_issuer_ids, scope


class IssuerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Issuer
        fields = ["id", "name", "lei", "uscc", "country", "province", "city", "issuer_type",
                  "sector", "founded_year", "preparers_may_submit", "external_ref",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class FinancialsSerializer(serializers.ModelSerializer):
    rnd_intensity = serializers.DecimalField(max_digits=12, decimal_places=6, read_only=True,
                                             allow_null=True)

    class Meta:
        model = IssuerFinancials
        fields = ["id", "issuer", "year", "currency", "revenue", "rnd_expense", "employees",
                  "high_skill_employees", "patent_applications", "carbon_rnd_expense",
                  "rnd_intensity"]


class CodeListField(serializers.ListField):
    child = serializers.CharField(max_length=32)


class IPAssetSerializer(serializers.ModelSerializer):
    cpc_codes = CodeListField(required=False)
    ipc_codes = CodeListField(required=False)
    nice_classes = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=45),
                                         required=False)
    green = serializers.BooleanField(read_only=True)
    green_categories = serializers.ListField(child=serializers.CharField(), read_only=True)
    remaining_life_years = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = IPAsset
        fields = ["id", "owner", "kind", "registry_number", "title", "country", "filing_date",
                  "grant_date", "expiry_date", "remaining_life_years", "cpc_codes", "ipc_codes",
                  "nice_classes", "status", "green", "green_categories", "valuation_dispersion",
                  "dispersion_flagged", "dispersion_note", "external_ref", "created_at",
                  "updated_at"]
        read_only_fields = ["valuation_dispersion", "dispersion_flagged", "dispersion_note",
                            "created_at", "updated_at"]

    DERIVED_FROM_VALUATIONS = ("valuation_dispersion", "dispersion_flagged", "dispersion_note")

    def to_representation(self, instance):
        """Leave out figures derived from valuations the reader may not see."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None:
            readable = readable_issuer_ids(request.user, Record.VALUATION)
            if readable is not None and instance.owner_id not in readable:
                for name in self.DERIVED_FROM_VALUATIONS:
                    data[name] = None
        return data


class ValuationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Valuation
        fields = ["id", "asset", "appraiser", "method", "value", "currency", "valuation_date",
                  "royalty_rate", "discount_rate", "useful_life_years", "created_at"]
        read_only_fields = ["created_at"]


class LicenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Licence
        fields = ["id", "asset", "licensee", "territory", "exclusive", "currency",
                  "royalty_rate", "fixed_fee", "minimum_guarantee", "start_date", "end_date"]


class ReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoyaltyReceipt
        fields = ["id", "licence", "period_end", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # A licence the user may not read does not exist for them, even as a choice.
            self.fields["licence"].queryset = scope(Licence.objects.all(), request.user,
                                                    Record.LICENCE)


class PledgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pledge
        fields = ["id", "asset", "pledgee", "registration_number", "registered_date",
                  "released_date"]
