"""Admin for support staff; every save and delete goes through the services."""

from django.contrib import admin

from ipregistry import services
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


class ServiceAdmin(admin.ModelAdmin):
    """Save and delete through the record's services, so admin changes are validated and audited."""

    create_service = None
    update_service = None
    delete_service = None
    instance_argument = ""

    def save_model(self, request, obj, form, change):
        fields = {field.name for field in obj._meta.concrete_fields}
        if change:
            # The form has already changed `obj`; the service needs the stored row to audit.
            stored = type(obj).objects.get(pk=obj.pk)
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in fields}
            saved = type(self).update_service(
                actor=request.user, **{self.instance_argument: stored}, **data)
        else:
            data = {name: value for name, value in form.cleaned_data.items() if name in fields}
            saved = type(self).create_service(actor=request.user, **data)
        obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request, obj):
        type(self).delete_service(actor=request.user, **{self.instance_argument: obj})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(IssuerMembership)
class MembershipAdmin(ServiceAdmin):
    create_service = services.membership_add
    delete_service = services.membership_remove
    instance_argument = "membership"
    list_display = ("user", "issuer", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "issuer__name")
    autocomplete_fields = ["user", "issuer"]

    def has_change_permission(self, request, obj=None):
        # A role change is a removal and a new membership, each audited.
        return False


@admin.register(Issuer)
class IssuerAdmin(ServiceAdmin):
    create_service = services.issuer_create
    update_service = services.issuer_update
    instance_argument = "issuer"
    list_display = ("name", "issuer_type", "country", "province", "lei", "uscc")
    list_filter = ("issuer_type", "country")
    search_fields = ("name", "lei", "uscc", "external_ref")
    readonly_fields = ("external_ref",)

    def has_delete_permission(self, request, obj=None):
        # Issuers carry the audit trail of their records; they are never deleted.
        return False


@admin.register(IssuerFinancials)
class FinancialsAdmin(ServiceAdmin):
    create_service = services.financials_create
    update_service = services.financials_update
    delete_service = services.financials_delete
    instance_argument = "financials"
    list_display = ("issuer", "year", "currency", "revenue", "rnd_expense", "employees")
    list_filter = ("year", "currency")
    search_fields = ("issuer__name",)
    autocomplete_fields = ["issuer"]


@admin.register(IPAsset)
class IPAssetAdmin(ServiceAdmin):
    create_service = services.asset_create
    update_service = services.asset_update
    delete_service = services.asset_delete
    instance_argument = "asset"
    list_display = ("registry_number", "title", "kind", "country", "owner", "status", "green",
                    "dispersion_flagged")
    list_filter = ("kind", "country", "status", "green", "dispersion_flagged")
    search_fields = ("registry_number", "title", "owner__name", "external_ref")
    autocomplete_fields = ["owner"]
    readonly_fields = ("external_ref", "green", "green_categories", "valuation_dispersion",
                       "dispersion_flagged", "dispersion_note")
    list_select_related = ("owner",)


@admin.register(Valuation)
class ValuationAdmin(ServiceAdmin):
    create_service = services.valuation_create
    update_service = services.valuation_update
    delete_service = services.valuation_delete
    instance_argument = "valuation"
    list_display = ("asset", "appraiser", "method", "value", "currency", "valuation_date")
    list_filter = ("method", "currency")
    search_fields = ("asset__registry_number", "appraiser")
    autocomplete_fields = ["asset"]
    list_select_related = ("asset",)


@admin.register(Licence)
class LicenceAdmin(ServiceAdmin):
    create_service = services.licence_create
    update_service = services.licence_update
    delete_service = services.licence_delete
    instance_argument = "licence"
    list_display = ("asset", "licensee", "royalty_rate", "fixed_fee", "start_date", "end_date")
    search_fields = ("asset__registry_number", "licensee")
    autocomplete_fields = ["asset"]
    list_select_related = ("asset",)


@admin.register(RoyaltyReceipt)
class ReceiptAdmin(ServiceAdmin):
    create_service = services.receipt_create
    update_service = services.receipt_update
    delete_service = services.receipt_delete
    instance_argument = "receipt"
    list_display = ("licence", "period_end", "amount")
    autocomplete_fields = ["licence"]
    list_select_related = ("licence__asset",)


@admin.register(Pledge)
class PledgeAdmin(ServiceAdmin):
    create_service = services.pledge_create
    update_service = services.pledge_update
    delete_service = services.pledge_delete
    instance_argument = "pledge"
    list_display = ("asset", "pledgee", "registered_date", "released_date")
    search_fields = ("asset__registry_number", "pledgee")
    autocomplete_fields = ["asset"]
    list_select_related = ("asset",)
