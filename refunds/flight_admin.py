"""Refunds' part of the flight page: "Cancel flight".

Cancelling a flight, from the button to the database, in this app's files: the action below (on
fleet's flight page, registered by `RefundsConfig.ready`) shows `CancelFlightView`
(refunds/admin_views.py: what will happen, then confirm), which calls
`refunds.services.cancel_flight` (its rule: `can_cancel_flight`).
"""

from django.utils.translation import gettext_lazy as _
from unfold.decorators import action
from unfold.enums import ActionVariant

from refunds import services
from refunds.admin_views import CancelFlightView

CANCEL_ACTION = "cancel_flight"


class CancelFlightOnTheFlightPage:
    @action(
        description=_("Cancel flight"),
        url_path="cancel-flight",
        permissions=["cancel_flight"],
        variant=ActionVariant.DANGER,
    )
    def cancel_flight(self, request, object_id):
        flight = self.get_flight_or_404(request, object_id)
        return CancelFlightView.as_view(model_admin=self)(request, flight_id=flight.pk)

    def has_cancel_flight_permission(self, request, object_id=None):
        return request.user.has_perm("fleet.change_flight")

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        # Offered only while the service would do it (not twice, not once flown); a page opened
        # before that, or a typed address, gets the reason from the view.
        flight = self.get_object(request, object_id)
        if flight is not None and services.can_cancel_flight(flight):
            return actions
        return [a for a in actions if not a.action_name.endswith(f"_{CANCEL_ACTION}")]
