from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from sales.models import Payment


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        max_length=1000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("The requester and the passenger will see this."),
    )


class RefundPaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("Paid back by"), choices=Payment.Method.choices, widget=UnfoldAdminSelectWidget)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        required=False,
        help_text=_("Card refund or transfer reference; not needed for cash."),
        widget=UnfoldAdminTextInputWidget,
    )
