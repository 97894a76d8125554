"""Fixtures of the newsletter tests (``editor`` and ``superuser`` come from the root conftest)."""

import re

import pytest
from django.utils import translation

from devtools.consent import build_consent
from newsletter.models import Subscriber
from tests.factories import SubscriberFactory


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def link_in(body, name):
    match = re.search(rf"https?://[^\s\"<>]+/newsletter/{name}/[A-Za-z0-9_\-]+/", body)
    assert match, f"no {name} link in: {body}"
    return match.group(0)


def path_of(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def make_subscriber(db):
    counter = {"n": 0}

    def _make(email=None, language="nl", status=Subscriber.Status.CONFIRMED, **fields):
        counter["n"] += 1
        return SubscriberFactory(
            email=email or f"reader{counter['n']}@example.org", language=language, status=status, **fields
        )

    return _make


@pytest.fixture
def consented_story(make_patient_story):
    """A live patient story whose consent covers website and newsletter."""

    def _make(title="Mijn verhaal", channels=("website", "newsletter"), **fields):
        story = make_patient_story(title=title, **fields)
        consent = build_consent(story, channels=channels)
        story.save_revision().publish()
        story.refresh_from_db()
        return story, consent

    return _make


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port; Django's SMTP backend points at it."""
    from devtools.loopback.smtp import start_server

    controller, collector = start_server()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield collector
    controller.stop()


@pytest.fixture
def make_issue(db):
    from newsletter.models import IssueItem, NewsletterIssue

    def _make(stories=(), language="nl", title="Nieuwsbrief mei", **fields):
        fields.setdefault("status", NewsletterIssue.Status.SENDING)
        issue = NewsletterIssue.objects.create(
            language=language, title=title, intro="<p>Welkom bij de nieuwsbrief.</p>", **fields
        )
        for order, story in enumerate(stories):
            IssueItem.objects.create(issue=issue, story=story, sort_order=order)
        return issue

    return _make
