"""Subscribing with double opt-in, confirming, preferences and unsubscribing."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from newsletter.models import Subscriber

from .conftest import link_in, path_of

pytestmark = pytest.mark.django_db


def footer_post(client, email="reader@example.org", **extra):
    data = {"email": email, "language": "en", "source": "story", "source_page": "/en/stories/x/", **extra}
    return client.post("/en/newsletter/subscribe/", data, REMOTE_ADDR="203.0.113.9")


def test_footer_page_sets_no_cookie_and_has_no_csrf_token(client, home):
    response = client.get(home.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="/nl/newsletter/subscribe/"' in html
    assert "csrfmiddlewaretoken" not in html
    assert not response.cookies


def test_footer_form_posts_without_csrf_and_sends_only_a_confirmation(home):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = footer_post(client)
    assert response.status_code == 200
    assert "Check your mailbox" in response.content.decode()
    assert not response.cookies
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.source == "story" and subscriber.source_detail == "/en/stories/x/"
    assert subscriber.opted_in_at and subscriber.confirmed_at is None
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].subject.lower()
    assert "reader@example.org" not in link_in(mail.outbox[0].body, "confirm")
    # Only a digest of the token is stored.
    token = link_in(mail.outbox[0].body, "confirm").rstrip("/").rsplit("/", 1)[1]
    assert token not in str(Subscriber.objects.filter(pk=subscriber.pk).values().first())


def test_confirm_link_works_once(client, home):
    footer_post(client)
    url = path_of(link_in(mail.outbox[0].body, "confirm"))
    page = client.get(url)
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING  # a GET (a mail scanner) confirms nothing
    done = client.post(url)
    assert done.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.confirmed_at
    again = client.post(url)
    assert again.status_code == 404
    assert "This link does not work" in again.content.decode()


def test_expired_and_invalid_confirm_links_get_a_clear_page(client, home):
    footer_post(client)
    url = path_of(link_in(mail.outbox[0].body, "confirm"))
    Subscriber.objects.update(confirm_expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.post(url)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    invalid = client.get("/en/newsletter/confirm/not-a-real-token/")
    assert invalid.status_code == 404 and "This link does not work" in invalid.content.decode()


def test_resubscribing_reveals_nothing(client, home, make_subscriber):
    make_subscriber(email="known@example.org", language="en")
    known = footer_post(client, email="known@example.org")
    unknown = footer_post(client, email="new@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert "already subscribed" in subjects["known@example.org"]
    assert "confirm" in subjects["new@example.org"].lower()
    assert Subscriber.objects.get(email="known@example.org").status == Subscriber.Status.CONFIRMED


def test_honeypot_and_rate_limit(client, home):
    bot = footer_post(client, email="bot@example.org", website="http://spam.example")
    assert bot.status_code == 200
    assert not Subscriber.objects.filter(email="bot@example.org").exists() and not mail.outbox
    statuses = [footer_post(client, email=f"r{i}@example.org").status_code for i in range(12)]
    assert statuses[-1] == 429


def test_own_page_with_themes_uses_csrf(home, theme, locales):
    from django.test import Client

    from stories.models import Theme

    theme_en = Theme.objects.create(
        name="Diabetes EN", slug="diabetes", locale=locales["en"], translation_key=theme.translation_key
    )
    client = Client(enforce_csrf_checks=True)
    page = client.get("/en/newsletter/")
    assert "csrfmiddlewaretoken" in page.content.decode() and "Diabetes EN" in page.content.decode()
    refused = client.post("/en/newsletter/", {"email": "a@example.org", "language": "en"})
    assert refused.status_code == 403
    token = page.cookies["csrftoken"].value
    ok = client.post(
        "/en/newsletter/",
        {"email": "a@example.org", "language": "en", "themes": [theme_en.pk], "csrfmiddlewaretoken": token},
    )
    assert ok.status_code == 200
    subscriber = Subscriber.objects.get(email="a@example.org")
    assert subscriber.source == "page" and list(subscriber.themes.all()) == [theme_en]


def test_preferences_by_personal_link(client, home, make_subscriber, theme):
    subscriber = make_subscriber(language="nl")
    url = f"/nl/newsletter/preferences/{subscriber.link_token}/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"language": "en", "themes": [theme.pk]})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.language == "en" and list(subscriber.themes.all()) == [theme]
    assert client.get("/nl/newsletter/preferences/wrong-token/").status_code == 404


def test_unsubscribe_get_shows_one_button_and_post_unsubscribes(client, home, make_subscriber):
    subscriber = make_subscriber()
    url = f"/en/newsletter/unsubscribe/{subscriber.link_token}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<button") == 1 and "<form" in html
    assert Subscriber.objects.get(pk=subscriber.pk).status == Subscriber.Status.CONFIRMED
    assert client.post(url).status_code == 200
    assert Subscriber.objects.get(pk=subscriber.pk).status == Subscriber.Status.UNSUBSCRIBED


def test_one_click_unsubscribe_by_post_without_session_or_csrf(home, make_subscriber):
    from django.test import Client

    subscriber = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/en/newsletter/unsubscribe/{subscriber.link_token}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED and subscriber.unsubscribed_at
    assert (
        client.post(
            "/en/newsletter/unsubscribe/forged-token/",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 404
    )


def test_a_new_link_salt_invalidates_old_links(client, home, make_subscriber):
    subscriber = make_subscriber()
    old = subscriber.link_token
    subscriber.rotate_link_token()
    assert client.get(f"/en/newsletter/unsubscribe/{old}/").status_code == 404
    assert client.get(f"/en/newsletter/unsubscribe/{subscriber.link_token}/").status_code == 200


def test_dutch_pages_and_mails_come_from_the_apps_own_catalogue(client, home):
    page = client.get("/nl/newsletter/")
    assert "Abonneer u op onze nieuwsbrief" in page.content.decode()
    client.post("/nl/newsletter/subscribe/", {"email": "lezer@example.org", "language": "nl"})
    assert mail.outbox[0].subject.startswith("Bevestig uw aanmelding")
    assert "/nl/newsletter/confirm/" in mail.outbox[0].body


def test_resubscribing_after_unsubscribing_shows_no_old_confirmation_while_pending(client, home, make_subscriber):
    from newsletter import subscriptions

    long_ago = timezone.now() - datetime.timedelta(days=400)
    subscriber = make_subscriber(email="back@example.org", confirmed_at=long_ago, confirmed_via="confirmation link")
    subscriptions.unsubscribe(subscriber, via="link")
    footer_post(client, email="back@example.org")
    subscriber.refresh_from_db()
    # The record must not claim a confirmation of this new opt-in before the new link is used.
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None and subscriber.confirmed_via == ""
    client.post(path_of(link_in(mail.outbox[-1].body, "confirm")))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.confirmed_at > long_ago


def test_a_new_link_salt_also_ends_links_kept_from_before_a_key_change(client, home, make_subscriber, settings):
    subscriber = make_subscriber()
    before = subscriber.link_token
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"
    after = Subscriber.objects.get(pk=subscriber.pk).link_token  # made with the new key; the old one stays valid
    assert before != after
    assert client.get(f"/en/newsletter/unsubscribe/{before}/").status_code == 200
    subscriber.refresh_from_db()
    subscriber.rotate_link_token()  # "my links leaked": every earlier link stops working
    assert client.get(f"/en/newsletter/unsubscribe/{before}/").status_code == 404
    assert client.get(f"/en/newsletter/unsubscribe/{after}/").status_code == 404
