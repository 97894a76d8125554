"""Hole 16 of issue 11 in the newsletter: huge ids, huge timestamps and spreadsheet formulas."""

import csv
import hashlib
import hmac
import io
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


def visitor():
    return Client(raise_request_exception=False)


def test_subscribe_forms_with_a_huge_theme_id_give_a_form_error(home, theme):
    client = visitor()
    for url in ("/en/newsletter/", "/en/newsletter/subscribe/"):
        data = {"email": "reader@example.org", "language": "en", "themes": [HUGE]}
        response = client.post(url, data, REMOTE_ADDR="203.0.113.9")
        assert response.status_code < 500, (url, response.status_code)
    assert not Subscriber.objects.exists()


def test_preferences_form_with_a_huge_theme_id_gives_a_form_error(home, theme, make_subscriber):
    subscriber = make_subscriber(email="reader@example.org")
    token = subscriber.link_token
    response = visitor().post(f"/en/newsletter/preferences/{token}/", {"language": "en", "themes": [HUGE]})
    assert response.status_code < 500


def test_signed_bounce_report_with_a_huge_timestamp_is_refused_not_a_500(settings, make_subscriber):
    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_WEBHOOK_SECRET": "s3cret"}
    make_subscriber(email="gone@example.org")
    body = json.dumps({"email": "gone@example.org", "event": "bounced"}).encode()
    for timestamp in ("9" * 400, "-" + "9" * 400, HUGE * 3):
        signature = "sha256=" + hmac.new(b"s3cret", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        response = visitor().post(
            "/nl/newsletter/bounces/",
            body,
            content_type="application/json",
            HTTP_X_VERTEL_TIMESTAMP=timestamp,
            HTTP_X_VERTEL_SIGNATURE=signature,
        )
        assert 400 <= response.status_code < 500, response.status_code
    assert Subscriber.objects.get().undeliverable_at is None


def test_subscriber_csv_export_neutralises_formulas(client, django_user_model, make_subscriber):
    user = django_user_model.objects.create_user(username="nl", password="pw", email="nl@example.org")
    user.groups.add(Group.objects.get(name="Newsletter editors"))
    user.user_permissions.add(Permission.objects.get(codename="export_subscribers"))
    client.force_login(user)
    dangerous = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    for n, value in enumerate(dangerous):
        make_subscriber(email=f"r{n}@example.org", undeliverable_reason=value, source_detail="plain")
    response = client.get("/admin/newsletter_subscribers/?export=csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == len(dangerous)
    reasons = {list(row.values())[-1] for row in rows}  # undeliverable_reason is the last column
    assert reasons == {"'" + value for value in dangerous}
