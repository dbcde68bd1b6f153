"""The Find flights form's date bounds, on every day of the year."""

import datetime as dt
from unittest import mock

import pytest

from sales.forms import SearchForm

pytestmark = pytest.mark.django_db


def search(day, *, today):
    data = {"origin": "PAR", "destination": "LON", "date": day.isoformat(), "adults": 1}
    with mock.patch("django.utils.timezone.localdate", return_value=today):
        form = SearchForm(data)
        form.is_valid()
    return form


def test_a_search_on_29_february_works():
    form = search(dt.date(2028, 3, 1), today=dt.date(2028, 2, 29))
    assert "date" not in form.errors, form.errors


def test_a_date_more_than_a_year_back_is_refused_with_a_message():
    form = search(dt.date(2027, 2, 27), today=dt.date(2028, 2, 29))
    assert form.errors["date"] == ["Choose a date between a year ago and 2099."]


def test_a_date_a_year_back_is_accepted():
    form = search(dt.date(2027, 2, 28), today=dt.date(2028, 2, 29))
    assert "date" not in form.errors, form.errors
