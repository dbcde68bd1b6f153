"""What the counter's booking form (sales.admin_views.NewBookingView, /admin/sales/booking/new/) posts.

One place that knows the form's field names: the booking form's query (the flights and the party, as the search
page links to it) and the POST a browser sends once the passengers and the contact are typed. The benchmarks that
drive the form over HTTP (bench/locust_agents.py, bench/postgres_restart.py) and the tests of the counter's pages
(tests/sales/test_counter_admin.py) build their requests with it.

Plain Python, no Django: the benchmarks' agents run where Django is not set up (locust's process, threads that
only speak HTTP). They import it as `bench.booking_form` with the repository on sys.path, as bench/throwaway.py
is imported; the tests find it there too. The csrfmiddlewaretoken is the caller's to add: it is read from the
page the caller fetched.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

# Passenger types as the search counts them (sales.models.Passenger.Type), and the form's query key for each.
PARTY = {"ADT": "adults", "CHD": "children", "INF": "infants"}
# The passenger formset's most forms (sales.services.MAX_PASSENGERS), as the page's management form says it.
MAX_PASSENGERS = 9


@dataclass(frozen=True)
class TypedPassenger:
    """One passenger as the agent types them into the form; `infant_of`: the adult's position (1, 2, ...)."""

    surname: str
    given_names: str
    title: str = ""
    passenger_type: str = "ADT"
    infant_of: int | None = None


def booking_form_query(segments, passengers):
    """The booking form's address query: the chosen flights ("flight id:fare class") and the party's counts."""
    types = [passenger.passenger_type for passenger in passengers]
    return {"segment": list(segments), **{key: str(types.count(code)) for code, key in PARTY.items()}}


def booking_form_data(
    segments, passengers, *, contact_name, contact_email, contact_phone, then="hold", method="", reference=""
):
    """The booking form's POST data for these passengers and this contact.

    `then` is "hold" (hold the seats, pay later) or "pay_now" (with a payment `method`, such as "cash").
    Values are strings and "segment" a list, as a browser sends them: for Django's test client, or for
    urlencode(..., doseq=True).
    """
    count = str(len(passengers))
    data = {
        **booking_form_query(segments, passengers),
        "pax-TOTAL_FORMS": count,
        "pax-INITIAL_FORMS": count,
        "pax-MIN_NUM_FORMS": "1",
        "pax-MAX_NUM_FORMS": str(MAX_PASSENGERS),
    }
    for position, passenger in enumerate(passengers):
        data[f"pax-{position}-passenger_type"] = passenger.passenger_type
        data[f"pax-{position}-title"] = passenger.title
        data[f"pax-{position}-surname"] = passenger.surname
        data[f"pax-{position}-given_names"] = passenger.given_names
        if passenger.infant_of is not None:
            data[f"pax-{position}-infant_of"] = str(passenger.infant_of)
    data.update(
        {
            "contact-contact_name": contact_name,
            "contact-contact_email": contact_email,
            "contact-contact_phone": contact_phone,
            "contact-then": then,
            "contact-method": method,
            "contact-reference": reference,
        }
    )
    return data


@dataclass(frozen=True)
class BookingFormRequest:
    """The booking form's GET (its address query, ready to append after "?") and the POST that books."""

    query: str
    data: dict


def one_adult_held(segments, rng):
    """What the benchmarks' agents book: one adult with a made-up surname drawn from `rng` (a random.Random), who
    is also the contact, on these segments; the seats held, to be paid on the payment page."""
    surname = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVW") for _ in range(7)).title()
    passengers = [TypedPassenger(surname=surname, given_names="Anne", title="MS")]
    data = booking_form_data(
        segments,
        passengers,
        contact_name=f"Anne {surname}",
        contact_email=f"{surname.lower()}@example.com",
        contact_phone="+33 6 11 22 33 44",
    )
    return BookingFormRequest(query=urlencode(booking_form_query(segments, passengers), doseq=True), data=data)
