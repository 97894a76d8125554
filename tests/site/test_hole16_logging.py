"""Hole 16 of issue 11: the token of a personal page never reaches the error log."""

import io
import logging

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

TOKEN = "SecretPersonalToken0123456789abcdefXYZ"


@pytest.mark.parametrize(
    "route", ["consent:sign", "consent:withdraw", "newsletter:unsubscribe", "newsletter:preferences"]
)
def test_a_404_on_a_token_url_logs_no_token(home, route):
    console = next(
        h
        for h in logging.getLogger().handlers
        if getattr(h, "name", None) == "console" or type(h) is logging.StreamHandler
    )
    stream = io.StringIO()
    old_stream = console.setStream(stream)
    request_logger = logging.getLogger("django.request")
    old_level = request_logger.level
    request_logger.setLevel(logging.WARNING)
    try:
        path = reverse(route, kwargs={"token": TOKEN}) + "no-such-page/"
        response = Client(raise_request_exception=False).get(path)
    finally:
        request_logger.setLevel(old_level)
        console.setStream(old_stream)
    assert response.status_code == 404
    logged = stream.getvalue()
    assert "Not Found" in logged
    assert TOKEN not in logged and "[token]" in logged
