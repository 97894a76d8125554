"""CSV import (all or nothing, bad rows by line), CSV export, bounces via anymail and the signed webhook."""

import hashlib
import hmac
import json
import time

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter_editor(client, django_user_model):
    user = django_user_model.objects.create_user(username="nl", password="pw", email="nl@example.org")
    user.groups.add(Group.objects.get(name="Newsletter editors"))
    client.force_login(user)
    return user


def upload(client, text, **fields):
    data = {
        "file": SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv"),
        "declaration": "on",
        **fields,
    }
    return client.post("/admin/newsletter/import/", data, follow=True)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(client, newsletter_editor):
    text = (
        "email,language,opt_in_source,opted_in_at\n"
        "good@example.org,nl,Open dag,2025-05-12\n"
        "not-an-address,nl,Open dag,2025-05-12\n"
        "other@example.org,fr,Open dag,2025-05-12\n"
        "good@example.org,nl,Open dag,2025-05-12\n"
        "noproof@example.org,en,,\n"
    )
    response = upload(client, text)
    html = response.content.decode()
    assert "Line 3:" in html and "not-an-address" in html
    assert "Line 4:" in html and "Line 5:" in html and "Line 6:" in html
    assert "Nothing was imported" in html
    assert not Subscriber.objects.exists()


def test_import_with_declared_proof_marks_each_address(client, newsletter_editor):
    Subscriber(email="known@example.org", status=Subscriber.Status.UNSUBSCRIBED, source="page").save()
    text = "email;language\nNew@Example.org;en\nknown@example.org;nl\n"
    response = upload(client, text, declared_source="Paper list, open day", declared_date="2025-05-12")
    assert response.status_code == 200
    new = Subscriber.objects.get(email="new@example.org")
    assert new.status == Subscriber.Status.CONFIRMED and new.source == Subscriber.Source.IMPORT
    assert new.source_detail == "Paper list, open day" and new.opted_in_at.date().isoformat() == "2025-05-12"
    assert "import by user:" in new.confirmed_via
    # An existing address is left as it is (an unsubscribe is never undone by an import).
    assert Subscriber.objects.get(email="known@example.org").status == Subscriber.Status.UNSUBSCRIBED


def test_import_without_any_proof_is_refused(client, newsletter_editor):
    response = upload(client, "email\na@example.org\n")
    assert "Line 2:" in response.content.decode() and "opt-in" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_csv_import_with_an_oversized_field_reports_the_line(client, newsletter_editor):
    # csv's default field limit is 131,072 characters; beyond it the reader raises csv.Error.
    text = "email,opt_in_source,opted_in_at\nok@example.org,Open dag,2025-05-12\n" + "x" * 140_000 + ",a,b\n"
    response = upload(client, text)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Line 3:" in html and "cannot be read as CSV" in html and "Nothing was imported" in html
    assert not Subscriber.objects.exists()


def test_csv_import_refuses_addresses_longer_than_254_characters(client, newsletter_editor):
    # 64 + 1 + 250 = 315 characters: validate_email accepts it, the column (and SMTP) does not.
    too_long = "a" * 64 + "@" + ".".join(["b" * 61] * 4) + ".org"
    assert len(too_long) > 254
    text = f"email,opt_in_source,opted_in_at\n{too_long},Open dag,2025-05-12\nok@example.org,Open dag,2025-05-12\n"
    response = upload(client, text)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 2:" in html and "longer than 254 characters" in html
    assert not Subscriber.objects.exists()


def test_csv_export_needs_its_own_permission_and_is_logged(client, newsletter_editor, make_subscriber):
    from django.contrib.auth.models import Permission
    from wagtail.models import ModelLogEntry

    make_subscriber(email="one@example.org")
    make_subscriber(email="two@example.org")
    # The group's rights (viewing, editing preferences) are not enough to take every address away.
    index = client.get("/admin/newsletter_subscribers/")
    assert index.status_code == 200 and "export=csv" not in index.content.decode()
    refused = client.get("/admin/newsletter_subscribers/?export=csv")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert not ModelLogEntry.objects.filter(action="newsletter.export_subscribers").exists()

    newsletter_editor.user_permissions.add(Permission.objects.get(codename="export_subscribers"))
    assert "export=csv" in client.get("/admin/newsletter_subscribers/").content.decode()
    response = client.get("/admin/newsletter_subscribers/?export=csv")
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert response.status_code == 200 and "one@example.org" in body and "Source of opt-in" in body
    entry = ModelLogEntry.objects.get(action="newsletter.export_subscribers")
    assert entry.user_id == newsletter_editor.pk
    assert entry.data == {"format": "csv", "rows": 2, "filtered": False}
    assert "@example.org" not in f"{entry.label} {entry.data}"


def test_anymail_bounce_marks_undeliverable(make_subscriber):
    from anymail.signals import AnymailTrackingEvent, tracking

    subscriber = make_subscriber(email="gone@example.org")
    event = AnymailTrackingEvent(event_type="bounced", recipient="Gone@example.org", reject_reason="bounced")
    tracking.send(sender=object, event=event, esp_name="Test ESP")
    subscriber.refresh_from_db()
    assert subscriber.undeliverable_at is not None and "bounced" in subscriber.undeliverable_reason
    assert not subscriber.is_deliverable
    opened = AnymailTrackingEvent(event_type="opened", recipient="other@example.org")
    tracking.send(sender=object, event=opened, esp_name="Test ESP")


def signed(body, secret=b"s3cret", timestamp=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_VERTEL_TIMESTAMP": timestamp, "HTTP_X_VERTEL_SIGNATURE": signature}


def test_signed_bounce_webhook(client, make_subscriber, settings):
    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_WEBHOOK_SECRET": "s3cret"}
    subscriber = make_subscriber(email="spam@example.org")
    body = json.dumps({"email": "spam@example.org", "event": "complained", "reason": "abuse report"}).encode()
    url = "/nl/newsletter/bounces/"
    forged = client.post(url, body, content_type="application/json", **signed(body, secret=b"wrong"))
    assert forged.status_code == 403
    # The old form, a signature of the body alone, no longer passes: it could be replayed for ever.
    body_only = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert (
        client.post(url, body, content_type="application/json", HTTP_X_VERTEL_SIGNATURE=body_only).status_code == 403
    )
    subscriber.refresh_from_db()
    assert subscriber.undeliverable_at is None
    ok = client.post(url, body, content_type="application/json", **signed(body))
    assert ok.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.undeliverable_reason.startswith("complained")


def test_bounce_webhook_refuses_old_and_altered_timestamps(client, make_subscriber, settings):
    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_WEBHOOK_SECRET": "s3cret"}
    subscriber = make_subscriber(email="gone@example.org")
    body = json.dumps({"email": "gone@example.org", "event": "bounced"}).encode()
    url = "/nl/newsletter/bounces/"
    # A report captured ten minutes ago and replayed now: correctly signed, but too old.
    old = signed(body, timestamp=int(time.time()) - 600)
    assert client.post(url, body, content_type="application/json", **old).status_code == 403
    # The same signature with a fresh timestamp put in front of it does not match.
    altered = {**old, "HTTP_X_VERTEL_TIMESTAMP": str(int(time.time()))}
    assert client.post(url, body, content_type="application/json", **altered).status_code == 403
    future = signed(body, timestamp=int(time.time()) + 600)
    assert client.post(url, body, content_type="application/json", **future).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.is_deliverable
    assert client.post(url, body, content_type="application/json", **signed(body)).status_code == 200
    subscriber.refresh_from_db()
    assert not subscriber.is_deliverable


def test_subscriber_admin_lists_and_refuses_typed_in_addresses(client, newsletter_editor, make_subscriber):
    make_subscriber(email="listed@example.org")
    index = client.get("/admin/newsletter_subscribers/")
    assert index.status_code == 200 and "listed@example.org" in index.content.decode()
    assert "/admin/newsletter/import/" in index.content.decode()
    add = client.get("/admin/newsletter_subscribers/new/")
    assert add.status_code == 302 and add["Location"].endswith("/admin/newsletter/import/")
    issues = client.get("/admin/newsletter_issues/")
    assert issues.status_code == 200 and "/admin/newsletter/issues/from-recent/" in issues.content.decode()


@pytest.fixture
def anymail_webhook(settings):
    """Reload the URLs with an anymail webhook secret set, as ``ANYMAIL_WEBHOOK_SECRET`` does."""
    import importlib

    from django.urls import clear_url_caches

    import website.urls

    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    importlib.reload(website.urls)
    clear_url_caches()
    yield
    settings.ANYMAIL = {}
    importlib.reload(website.urls)
    clear_url_caches()


POSTMARK_BOUNCE = {
    # A Postmark bounce webhook, as https://postmarkapp.com/developer/webhooks/bounce-webhook shows it.
    "RecordType": "Bounce",
    "MessageStream": "outbound",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Metadata": {},
    "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "gone@example.org",
    "From": "nieuwsbrief@example.org",
    "BouncedAt": "2026-11-22T16:33:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Nieuwsbrief",
    "Content": None,
}


def test_an_email_service_bounce_webhook_marks_the_address_undeliverable(client, make_subscriber, anymail_webhook):
    import base64

    subscriber = make_subscriber(email="gone@example.org")
    url = "/anymail/postmark/tracking/"
    refused = client.post(url, json.dumps(POSTMARK_BOUNCE), content_type="application/json")
    assert refused.status_code == 400  # no basic auth: anymail refuses, nothing changes
    subscriber.refresh_from_db()
    assert subscriber.is_deliverable
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    accepted = client.post(url, json.dumps(POSTMARK_BOUNCE), content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert accepted.status_code == 200
    subscriber.refresh_from_db()
    assert not subscriber.is_deliverable and "bounced" in subscriber.undeliverable_reason


def test_no_email_service_webhook_without_its_secret(client):
    response = client.post("/anymail/postmark/tracking/", "{}", content_type="application/json", follow=True)
    assert response.status_code == 404
