"""Forms for structuring deals and filing servicer reports; services validate again."""

import json

from django import forms
from django.conf import settings

from deals.models import CreditEnhancement, Deal, Tranche
from ipregistry.forms import DATE_INPUT, SeparatedListField
from ipregistry.models import IPAsset


class JSONTextField(forms.JSONField):
    """JSON typed in a textarea, shown indented."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "mono"})

    def prepare_value(self, value):
        if isinstance(value, (list, dict)):
            return json.dumps(value)
        return super().prepare_value(value)


class DealForm(forms.ModelForm):
    sdg_targets = SeparatedListField(label="SDG targets", help_text="e.g. 9.5; 8.3")
    projected_collections = JSONTextField(
        required=False, help_text="Scheduled collections per period, e.g. [30, 30, 30, 30].")
    fees = JSONTextField(required=False,
                         help_text='e.g. [{"name": "trustee", "per_period": 0.1}]')
    reserve = JSONTextField(required=False, help_text='e.g. {"initial": 1, "target": 1}')
    waterfall_steps = JSONTextField(
        required=False, help_text='DESIGN 6.2 steps, e.g. [{"pay_interest": ["A"]}, '
                                  '{"pay_principal": ["A"], "mode": "sequential"}]')

    class Meta:
        model = Deal
        fields = ["name", "originator", "spv_name", "trustee", "arranger", "venue", "country",
                  "province", "city", "structure", "announce_date", "issue_date",
                  "legal_final_date", "currency", "size", "label", "sdg_targets",
                  "use_of_proceeds", "periods_per_year", "projected_collections", "fees",
                  "reserve", "waterfall_steps", "default_missed_periods"]
        widgets = {"announce_date": DATE_INPUT, "issue_date": DATE_INPUT,
                   "legal_final_date": DATE_INPUT,
                   "use_of_proceeds": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, originators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["originator"].queryset = originators
        for name in ("projected_collections", "fees", "waterfall_steps"):
            self.fields[name].initial = []
        self.fields["reserve"].initial = {}

    def clean(self):
        data = super().clean()
        for name, empty in (("projected_collections", []), ("fees", []),
                            ("waterfall_steps", []), ("reserve", {})):
            if data.get(name) is None:
                data[name] = empty
        return data


class TrancheForm(forms.ModelForm):
    class Meta:
        model = Tranche
        fields = ["name", "rank", "size", "coupon_type", "coupon_rate", "rating",
                  "rating_agency", "expected_maturity"]
        widgets = {"expected_maturity": DATE_INPUT}


class EnhancementForm(forms.ModelForm):
    class Meta:
        model = CreditEnhancement
        fields = ["kind", "amount", "percent", "provider"]


class PoolAssetForm(forms.Form):
    asset = forms.ModelChoiceField(queryset=IPAsset.objects.none())
    cutoff_value = forms.DecimalField(min_value=0, max_digits=20, decimal_places=2)
    financing_amount = forms.DecimalField(
        min_value=0, max_digits=20, decimal_places=2, initial=0, required=False,
        help_text="Financing reaching the asset's owner; 0 when it is the originator's own.")

    def clean_financing_amount(self):
        return self.cleaned_data["financing_amount"] or 0

    def __init__(self, *args, assets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = assets


class TransitionForm(forms.Form):
    status = forms.CharField()
    reason = forms.CharField(required=False, max_length=500)


class ServicerReportForm(forms.Form):
    period_end = forms.DateField(widget=DATE_INPUT)
    collections = forms.DecimalField(min_value=0, max_digits=20, decimal_places=2)


class ServicerReportUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8) with columns period_end, collections and "
                                     "optionally asset_id, amount rows per asset.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}.")
        return upload
