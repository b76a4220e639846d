"""Forms of the disclosure pages, and the reading of a generated filing form's POST."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from disclosure import quality
from disclosure.choices import AppliesTo, Decision
from disclosure.models import DisclosureTemplate

# Names of the inputs of one field in the generated form.
VALUE, ND, ND_DATE, ND_REASON = "v_", "nd_", "ndd_", "ndr_"


def answers_from_post(spec: quality.Template, data) -> dict[str, quality.Answer]:
    """The answers in a POST of the generated form, for the fields it carries (an autosave of
    part of a form leaves the other fields as they are)."""
    answers = {}
    for field in spec.fields:
        present = any(f"{prefix}{field.key}" in data
                      for prefix in (VALUE, ND, ND_REASON, ND_DATE))
        if field.type == "multi_choice":
            present = present or f"{VALUE}{field.key}__present" in data
        if not present or field.type == "file":
            continue
        if field.type == "multi_choice":
            value = ";".join(item.strip() for item in data.getlist(f"{VALUE}{field.key}")
                             if item.strip())
        else:
            value = data.get(f"{VALUE}{field.key}", "")
        nd_code = data.get(f"{ND}{field.key}", "").strip()
        if nd_code == "ND4":
            nd_code = f"ND4-{data.get(f'{ND_DATE}{field.key}', '').strip()}"
        answers[field.key] = quality.Answer(value=value, nd_code=nd_code,
                                            nd_reason=data.get(f"{ND_REASON}{field.key}", ""))
    return answers


class FilingCreateForm(forms.Form):
    issuer = forms.ModelChoiceField(queryset=None)
    template = forms.ModelChoiceField(queryset=None)
    period = forms.CharField(max_length=7, help_text="A year (2024) or a quarter (2024-Q2).")
    deal = forms.ModelChoiceField(queryset=None, required=False,
                                  help_text="For deal reports: the deal reported on.")

    def __init__(self, *args, issuers, deals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers
        self.fields["template"].queryset = DisclosureTemplate.objects.filter(status="active")
        self.fields["deal"].queryset = deals

    def clean(self):
        data = super().clean()
        template, deal = data.get("template"), data.get("deal")
        if template and template.applies_to == AppliesTo.DEAL and deal is None:
            self.add_error("deal", "This template reports on a deal: choose the deal.")
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField()
    field = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; the limit is "
                                  f"{settings.ATTACHMENT_MAX_BYTES:,}.")
        return upload


def read_limited(upload) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (the service refuses it)."""
    upload.seek(0)
    return upload.read(settings.ATTACHMENT_MAX_BYTES + 1)


class CommentForm(forms.Form):
    field = forms.ChoiceField(required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args, fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "The filing as a whole")] + [
            (field.key, field.label) for field in fields]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Required to return or reject.")


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=1000)
