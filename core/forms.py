"""Forms of the accounts pages: two-factor codes."""

from django import forms

from core import two_factor


class CodeForm(forms.Form):
    """A 6-digit code from an authenticator app."""

    code = forms.CharField(
        label="Code", max_length=7,
        help_text="The 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}))

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows.")
        return code


class SetupCodeForm(CodeForm):
    """The first code from a new secret, which proves the app holds it."""

    def __init__(self, *args, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.step = None

    def clean_code(self) -> str:
        code = super().clean_code()
        self.step = two_factor.setup_step(self.key, code)
        if self.step is None:
            raise forms.ValidationError(
                "That code does not match the secret: check that the app added this secret "
                "and that your phone's clock is right, then enter the current code.")
        return code


class DeviceCodeForm(CodeForm):
    """A code from the user's confirmed device (throttled; a wrong one is a failed login)."""

    def __init__(self, *args, device, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device
        self.request = request

    def clean_code(self) -> str:
        code = super().clean_code()
        refusal = two_factor.refusal(device=self.device, code=code, request=self.request)
        if refusal:
            raise forms.ValidationError(refusal)
        return code
