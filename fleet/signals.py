"""What fleet announces, for the apps above it to act on; they connect in their `AppConfig.ready`.

Fleet never imports them (docs/architecture.md). Each signal is sent inside the transaction that
wrote, so what a receiver writes stands or falls with it.
"""

from django.dispatch import Signal

# New flights were written: by the flight form (`save_flight`), `create_flights` or a schedule
# import. Arguments: `flights` (each with `pk`, `origin_id`, `destination_id`, `capacity`), `user`.
# Sales gives them their fare buckets from the route fare table.
flights_created = Signal()
