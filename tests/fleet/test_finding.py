"""Finding flights and airports as a person types them: a route, a flight number, a city or airport code."""

import pytest
from django.urls import reverse

from fleet.selectors import location_suggestions
from fleet.services import get_or_create_airport
from tests.factories import FlightFactory

pytestmark = pytest.mark.django_db

FLIGHTS = reverse("admin:fleet_flight_changelist")
# session, user, user and group permissions, the count (bounded), the rows: a search adds none.
FLIGHT_SEARCH_QUERIES = 6


@pytest.fixture
def airports(db):
    # Real airports with their metropolitan cities: CDG and ORY in PAR, LHR and LGW in LON.
    return {code: get_or_create_airport(code=code, user=None) for code in ("CDG", "ORY", "LHR", "LGW")}


@pytest.fixture
def flights(airports):
    a = airports
    return {
        "XB1001": FlightFactory(carrier="XB", number=1001, origin=a["CDG"], destination=a["LHR"]),
        "XB1002": FlightFactory(carrier="XB", number=1002, origin=a["LHR"], destination=a["CDG"]),
        "XB1003": FlightFactory(carrier="XB", number=1003, origin=a["ORY"], destination=a["LGW"]),
        "AF1001": FlightFactory(carrier="AF", number=1001, origin=a["CDG"], destination=a["LHR"]),
        "XB101": FlightFactory(carrier="XB", number=101, origin=a["ORY"], destination=a["CDG"]),
    }


def found(client, user, term):
    client.force_login(user)
    response = client.get(FLIGHTS, {"q": term})
    assert response.status_code == 200
    return sorted(f"{f.carrier}{f.number}" for f in response.context["cl"].result_list)


@pytest.mark.parametrize(
    "term, expected",
    [
        ("CDG-LHR", ["AF1001", "XB1001"]),
        ("CDG LHR", ["AF1001", "XB1001"]),
        ("cdg–lhr", ["AF1001", "XB1001"]),
        ("CDG/LHR", ["AF1001", "XB1001"]),
        ("LHR-CDG", ["XB1002"]),
        ("PAR-LON", ["AF1001", "XB1001", "XB1003"]),
        ("PAR LHR", ["AF1001", "XB1001"]),
        ("CDG", ["AF1001", "XB1001", "XB1002", "XB101"]),
        ("lon", ["AF1001", "XB1001", "XB1002", "XB1003"]),
    ],
)
def test_flight_list_finds_a_route_in_the_direction_typed(flights, counter_user, client, term, expected):
    assert found(client, counter_user, term) == expected


@pytest.mark.parametrize(
    "term, expected",
    [
        ("1001", ["AF1001", "XB1001"]),
        (" 1001 ", ["AF1001", "XB1001"]),
        ("XB1001", ["XB1001"]),
        ("xb 1001", ["XB1001"]),
        ("AF1001", ["AF1001"]),
        ("101", ["XB101"]),
        ("XB1001A", []),
    ],
)
def test_flight_list_finds_a_flight_number_with_or_without_the_carrier(flights, counter_user, client, term, expected):
    assert found(client, counter_user, term) == expected


def test_an_unknown_code_or_odd_text_finds_nothing_and_never_fails(flights, counter_user, client):
    for term in ("XYZ-ABC", "ZZZ", "'; drop table", "99999", "CDG-", "-LHR", "a" * 300, "%", "_"):
        assert found(client, counter_user, term) == [], term


@pytest.mark.parametrize("rows", [5, 50])
def test_a_flight_search_costs_the_same_queries_for_5_or_50_rows(
    airports, admin_role_user, client, django_assert_num_queries, rows
):
    FlightFactory.create_batch(rows, origin=airports["CDG"], destination=airports["LHR"])
    FlightFactory.create_batch(3, origin=airports["LHR"], destination=airports["CDG"])
    client.force_login(admin_role_user)
    with django_assert_num_queries(FLIGHT_SEARCH_QUERIES):
        response = client.get(FLIGHTS, {"q": "CDG-LHR", "all": ""})
    assert len(response.context["cl"].result_list) == rows


@pytest.fixture
def places(db):
    # What the demo loads from airportsdata, trimmed to the names that compete for "PAR" and "lon".
    codes = ["CDG", "ORY", "ORG", "PAJ", "BVA", "AEP", "LHR", "LGW", "BQH", "LDB", "AQP", "YXU"]
    return {code: get_or_create_airport(code=code, user=None) for code in codes}


def codes(suggestions):
    return [s.code for s in suggestions]


def test_location_suggestions_put_the_exact_code_first_then_names_starting_with_the_text(places):
    par = codes(location_suggestions("PAR"))
    assert par[0] == "PAR"  # Paris, the metropolitan code
    assert par[1:3] == ["CDG", "ORY"]  # its airports
    assert {"ORG", "PAJ", "BVA"} <= set(par)  # Paramaribo, Parachinar, Paris Beauvais: names that start with the text
    assert "AEP" not in par  # "Jorge Newbery Airpark" only contains it

    lon = codes(location_suggestions("lon"))
    assert lon[0] == "LON"
    assert set(lon[1:3]) == {"LHR", "LGW"}
    assert {"BQH", "LDB", "YXU"} <= set(lon)  # London Biggin Hill, Londrina, London (Ontario)
    assert "AQP" not in lon  # "Rodriguez Ballon"

    assert codes(location_suggestions("cdg"))[0] == "CDG"
    assert codes(location_suggestions("paris"))[0] == "PAR"


def test_location_suggestions_list_each_code_once_and_ignore_short_or_odd_text(places):
    get_or_create_airport(code="RUN", user=None)  # a city of one airport shares its code
    assert codes(location_suggestions("RUN")) == ["RUN"]
    assert location_suggestions("P") == []
    assert location_suggestions("  ") == []
    assert location_suggestions("%%") == []
    assert codes(location_suggestions("P\x00AR"))[0] == "PAR"
    assert len(location_suggestions("l" + "o" * 500)) == 0


def autocomplete(client, user, term):
    client.force_login(user)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "fleet", "model_name": "flight", "field_name": "origin", "term": term},
    )
    assert response.status_code == 200
    return [row["text"].split()[0] for row in response.json()["results"]]


def test_the_admins_airport_autocomplete_puts_the_code_typed_first(places, admin_role_user, client):
    par = autocomplete(client, admin_role_user, "PAR")
    assert par[:2] == ["CDG", "ORY"]  # the airports of the city code PAR
    assert par.index("ORG") < par.index("AEP")  # a name that starts with it before one that contains it
    lon = autocomplete(client, admin_role_user, "lon")
    assert set(lon[:2]) == {"LHR", "LGW"}
    assert lon.index("BQH") < lon.index("AQP")
    assert autocomplete(client, admin_role_user, "lhr")[0] == "LHR"
    assert autocomplete(client, admin_role_user, "LH\x00R")[0] == "LHR"  # PostgreSQL refuses NUL in text
