"""Hole 16 of issue 11: smaller server errors and leaks found by an attacker's look at the edges."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "query",
    [
        '"terug',
        'fiets"',
        'a"b"c"',
        "fiets\x00",
        "\x00",
        '"',
        "terug OR",
        "NEAR(",
        "*",
        "-fiets",
        "fiets AND",
        "(fiets",
    ],
)
def test_search_with_unbalanced_quote_or_nul_byte_answers_cleanly(make_patient_story, query):
    response = visitor().get(reverse("search"), {"q": query})
    assert response.status_code == 200, response.status_code
