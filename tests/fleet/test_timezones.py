import datetime as dt

from fleet.timezones import format_local, local_to_utc


def test_same_local_departure_moves_in_utc_across_spring_forward():
    # Paris leaves winter time in the night of 28-29 March 2026.
    before = local_to_utc(dt.date(2026, 3, 28), dt.time(10, 0), "Europe/Paris")
    after = local_to_utc(dt.date(2026, 3, 29), dt.time(10, 0), "Europe/Paris")
    assert before == dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC)
    assert after == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)


def test_same_local_departure_moves_in_utc_across_fall_back():
    # New York goes back to standard time on 1 November 2026.
    before = local_to_utc(dt.date(2026, 10, 31), dt.time(18, 30), "America/New_York")
    after = local_to_utc(dt.date(2026, 11, 1), dt.time(18, 30), "America/New_York")
    assert before == dt.datetime(2026, 10, 31, 22, 30, tzinfo=dt.UTC)
    assert after == dt.datetime(2026, 11, 1, 23, 30, tzinfo=dt.UTC)


def test_skipped_hour_is_read_as_the_hour_after_the_change():
    skipped = local_to_utc(dt.date(2026, 3, 29), dt.time(2, 30), "Europe/Paris")
    assert format_local(skipped, "Europe/Paris") == "Sun 29 Mar 2026 03:30 CEST"


def test_repeated_hour_is_read_as_its_first_occurrence():
    repeated = local_to_utc(dt.date(2026, 10, 25), dt.time(2, 30), "Europe/Paris")
    assert repeated == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


def test_zone_without_daylight_saving_keeps_its_offset():
    assert local_to_utc(dt.date(2026, 3, 29), dt.time(10, 0), "Indian/Reunion") == dt.datetime(
        2026, 3, 29, 6, 0, tzinfo=dt.UTC
    )
