"""Forms for the registry pages; the services behind them validate again."""

from django import forms
from django.conf import settings

from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SeparatedListField(forms.CharField):
    """A list typed as text, items separated by ';' or ',' (codes contain spaces)."""

    def __init__(self, *, item_type=str, **kwargs):
        self.item_type = item_type
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "; ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        items = [item.strip() for item in text.replace(",", ";").split(";") if item.strip()]
        try:
            return [self.item_type(item) for item in items]
        except ValueError:
            raise forms.ValidationError("Enter whole numbers separated by ';'.") from None


class IssuerForm(forms.ModelForm):
    class Meta:
        model = Issuer
        fields = ["name", "lei", "uscc", "country", "province", "city", "issuer_type", "sector",
                  "founded_year", "preparers_may_submit"]


class FinancialsForm(forms.ModelForm):
    class Meta:
        model = IssuerFinancials
        fields = ["year", "currency", "revenue", "rnd_expense", "employees",
                  "high_skill_employees", "patent_applications", "carbon_rnd_expense"]


class IPAssetForm(forms.ModelForm):
    cpc_codes = SeparatedListField(label="CPC codes", help_text="Separated by ';', e.g. "
                                   "Y02E 10/50; H01L 31/042.")
    ipc_codes = SeparatedListField(label="IPC codes", help_text="Separated by ';'.")
    nice_classes = SeparatedListField(item_type=int, label="Nice classes",
                                      help_text="Trademarks only, e.g. 9; 42.")

    class Meta:
        model = IPAsset
        fields = ["owner", "kind", "registry_number", "title", "country", "filing_date",
                  "grant_date", "expiry_date", "cpc_codes", "ipc_codes", "nice_classes",
                  "status"]
        widgets = {"filing_date": DATE_INPUT, "grant_date": DATE_INPUT,
                   "expiry_date": DATE_INPUT}

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners
            if owners.count() == 1 and not self.instance.pk:
                self.fields["owner"].initial = owners.first()


class ValuationForm(forms.ModelForm):
    class Meta:
        model = Valuation
        fields = ["appraiser", "method", "value", "currency", "valuation_date", "royalty_rate",
                  "discount_rate", "useful_life_years"]
        widgets = {"valuation_date": DATE_INPUT}


class LicenceForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = ["licensee", "territory", "exclusive", "currency", "royalty_rate", "fixed_fee",
                  "minimum_guarantee", "start_date", "end_date"]
        widgets = {"start_date": DATE_INPUT, "end_date": DATE_INPUT}


class ReceiptForm(forms.ModelForm):
    class Meta:
        model = RoyaltyReceipt
        fields = ["period_end", "amount"]
        widgets = {"period_end": DATE_INPUT}


class PledgeForm(forms.ModelForm):
    class Meta:
        model = Pledge
        fields = ["pledgee", "registration_number", "registered_date", "released_date"]
        widgets = {"registered_date": DATE_INPUT, "released_date": DATE_INPUT}


class AssetImportForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=Issuer.objects.none())
    file = forms.FileField(help_text="CSV (UTF-8) or XLSX; columns as assets.csv of the "
                                     "interchange bundle, without issuer_id.")

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        if owners.count() == 1:
            self.fields["owner"].initial = owners.first()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}.")
        return upload
