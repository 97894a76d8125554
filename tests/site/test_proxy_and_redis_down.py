"""Issue 11, holes 8 and 9: rate limits behind the reverse proxy, and the site while Redis is down.

Behind the proxy the README deploys (gunicorn on 127.0.0.1), every visitor's ``REMOTE_ADDR`` is the
proxy's. A limit that junk requests from anyone can fill must never refuse a withdrawal through a
valid link; guessing links stays limited per real client, taken from ``X-Forwarded-For`` only when
the request comes from a configured trusted proxy.

With ``REDIS_URL`` set and Redis unreachable, the public pages are served uncached, signing and
withdrawal go through, and the limits fail to their safe side with a warning that names no person.
"""

import datetime
import importlib.util
import logging
import socket
import threading
import time

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.utils import timezone

from consent.content import content_hash
from consent.models import Consent, ConsentRequest, hash_token, new_token
from core import ratelimit
from core.ratelimit import client_address
from tests.consent.gate_fixtures import build_consent
from website import cache_backends

PROXY = "127.0.0.1"
PATIENT = "198.51.100.77"
JUNK = 60  # "about 30–60 junk requests lock every patient out of withdrawing"


def visitor(address=PROXY):
    return Client(REMOTE_ADDR=address, raise_request_exception=False)


@pytest.fixture
def live_patient_story(make_patient_story, django_capture_on_commit_callbacks):
    story = make_patient_story(title="Terug op de fiets")
    token = new_token()
    consent = build_consent(story, channels=("website", "newsletter"), withdrawal_token_hash=hash_token(token))
    with django_capture_on_commit_callbacks(execute=True):
        story.get_latest_revision().publish()
    story.refresh_from_db()
    assert story.live
    return story, consent, token


@pytest.fixture
def signing_link(make_patient_story):
    """A pending personal signing link for a story that is not live yet."""
    story = make_patient_story(title="Mijn nieuwe knie", naming="first_name")
    revision = story.get_latest_revision()
    token = new_token()
    ConsentRequest.objects.create(
        story=story,
        story_title=story.title,
        revision=revision,
        content_hash=content_hash(revision.as_object()),
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        token_hash=hash_token(token),
        expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    return f"/nl/consent/sign/{token}/"


SIGN = {
    "channels": ["website"],
    "naming": "first_name",
    "typed_name": "Anna de Vries",
    "relation": "myself",
    "declaration": "on",
    "sign": "1",
}


def withdraw(client, token):
    return client.post(f"/nl/consent/withdraw/{token}/", {"channels": []}, HTTP_USER_AGENT="test")


def fill_the_limits(client, kind, **headers):
    """Junk from one address: invented links, each fetched and posted to."""
    statuses = set()
    for number in range(JUNK):
        url = f"/nl/consent/{kind}/junk-{number}-{new_token()[:12]}/"
        statuses.add(client.get(url, **headers).status_code)
        statuses.add(client.post(url, {}, **headers).status_code)
    return statuses


# Hole 8: the proxy's one address ------------------------------------------------------------------


def test_junk_through_the_proxy_never_stops_a_withdrawal_through_a_valid_link(live_patient_story):
    story, consent, token = live_patient_story
    statuses = fill_the_limits(visitor(), "withdraw")
    assert 429 in statuses  # guessing links is still limited

    patient = visitor()  # another visitor behind the same proxy
    assert patient.get(f"/nl/consent/withdraw/{token}/").status_code == 200
    assert withdraw(patient, token).status_code == 200
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    story.refresh_from_db()
    assert not story.live


def test_junk_through_the_proxy_never_stops_signing_through_a_valid_link(signing_link):
    assert 429 in fill_the_limits(visitor(), "sign")
    response = visitor().get(signing_link)
    assert response.status_code == 200
    assert "Mijn nieuwe knie" in response.content.decode()


def test_a_trusted_proxy_limits_guesses_per_real_client(settings, live_patient_story):
    settings.VERTEL_TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    guesser = {"HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    assert 429 in fill_the_limits(visitor(), "withdraw", **guesser)
    # Another visitor behind the same proxy, with a mistyped link: told it is invalid, not "too many".
    response = visitor().get("/nl/consent/withdraw/mistyped/", HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert response.status_code == 404
    # The guesser is still refused, whatever address it claims in front of its own.
    response = visitor().get("/nl/consent/withdraw/another/", HTTP_X_FORWARDED_FOR="203.0.113.21, 198.51.100.9")
    assert response.status_code == 429


def test_a_spoofed_forwarded_for_from_an_untrusted_address_is_ignored(settings, live_patient_story):
    settings.VERTEL_TRUSTED_PROXIES = ["127.0.0.1"]
    attacker = visitor("203.0.113.66")
    statuses = set()
    for number in range(JUNK):
        url = f"/nl/consent/withdraw/junk-{number}/"
        statuses.add(attacker.get(url, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}").status_code)
    assert 429 in statuses  # each made-up address did not get a fresh count


def test_the_newsletter_form_is_limited_per_real_client_behind_a_trusted_proxy(settings, home):
    settings.VERTEL_TRUSTED_PROXIES = ["127.0.0.1"]

    def subscribe(client_address, number):
        data = {"email": f"r{number}@example.org", "language": "en", "source": "story"}
        return visitor().post("/en/newsletter/subscribe/", data, HTTP_X_FORWARDED_FOR=client_address)

    assert 429 in {subscribe("198.51.100.9", number).status_code for number in range(12)}
    assert subscribe("203.0.113.20", 99).status_code == 200


def test_the_client_address_is_taken_from_forwarded_for_only_through_trusted_proxies(rf, settings):
    def address(remote, forwarded=None):
        headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_address(rf.get("/", REMOTE_ADDR=remote, **headers))

    settings.VERTEL_TRUSTED_PROXIES = []  # the default: no proxy is trusted
    assert address("127.0.0.1", "198.51.100.9") == "127.0.0.1"
    settings.VERTEL_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert address("127.0.0.1", "198.51.100.9") == "198.51.100.9"
    assert address("127.0.0.1", "6.6.6.6, 198.51.100.9") == "198.51.100.9"  # the left part is the client's claim
    assert address("127.0.0.1", "198.51.100.9, 10.1.2.3") == "198.51.100.9"  # two trusted hops
    assert address("203.0.113.66", "198.51.100.9") == "203.0.113.66"  # not from a trusted proxy
    assert address("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert address("127.0.0.1", "") == "127.0.0.1"
    assert address("127.0.0.1", "10.0.0.1, 10.0.0.2") == "10.0.0.1"  # only proxies: the farthest one
    assert address("::ffff:127.0.0.1", "198.51.100.9") == "198.51.100.9"  # an IPv4 proxy seen over IPv6


def test_the_trusted_proxies_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("VERTEL_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    assert load_base_settings().VERTEL_TRUSTED_PROXIES == ["127.0.0.1", "10.0.0.0/8"]
    monkeypatch.delenv("VERTEL_TRUSTED_PROXIES")
    assert load_base_settings().VERTEL_TRUSTED_PROXIES == []


# Hole 9: Redis unreachable -------------------------------------------------------------------------


def load_base_settings():
    """A fresh copy of website/settings/base.py read with today's environment (the real one is untouched)."""
    origin = importlib.util.find_spec("website.settings.base").origin
    spec = importlib.util.spec_from_file_location("vertel_settings_probe", origin)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The caches the settings build for REDIS_URL, pointed at a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return redis_caches_at(port, settings, monkeypatch)


def redis_caches_at(port, settings, monkeypatch):
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    caches = load_base_settings().CACHES
    assert {entry["BACKEND"] for entry in caches.values()} != {"django.core.cache.backends.locmem.LocMemCache"}
    monkeypatch.setattr(ratelimit, "_last_warning", {})
    monkeypatch.setattr(cache_backends, "_broken_until", {})

    def cut():
        settings.CACHES = caches
        settings.PAGE_CACHE_ENABLED = True

    return cut


@pytest.fixture
def redis_hangs(settings, monkeypatch):
    """A "Redis" that takes every connection and never answers (a stopped server, a partition)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def hold():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    cut = redis_caches_at(server.getsockname()[1], settings, monkeypatch)
    yield cut, held
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.fixture(autouse=True)
def _local_caches_after(settings):
    yield
    # Clear no Redis on the way out (the shared fixture clears the caches once these are back).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t-pages"},
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_public_pages_signing_and_withdrawal_work_while_redis_is_down(
    home, story_index, make_org_story, live_patient_story, signing_link, redis_down, caplog
):
    story, consent, token = live_patient_story
    news = make_org_story(title="Nieuwe scanner")
    story_url, urls = story.url, ["/nl/", story_index.url, story.url, news.url, "/nl/feeds/rss/", "/sitemap.xml"]
    redis_down()
    with caplog.at_level(logging.WARNING):
        for url in urls:
            for _visit in range(2):
                response = visitor().get(url)
                assert response.status_code == 200, url
                assert "X-Cache" not in response, url
        assert "Terug op de fiets" in visitor().get(story_url).content.decode()

        signer = visitor(PATIENT)
        signing = signer.get(signing_link)
        assert signing.status_code == 200
        assert "Mijn nieuwe knie" in signing.content.decode()
        signed = signer.post(signing_link, SIGN)
        assert signed.status_code == 200
        assert Consent.objects.filter(request__token_hash=hash_token(signing_link.split("/")[-2])).exists()

        patient = visitor(PATIENT)
        assert patient.get(f"/nl/consent/withdraw/{token}/").status_code == 200
        assert withdraw(patient, token).status_code == 200
        assert visitor().get("/nl/consent/withdraw/guessed-link/").status_code == 429
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    story.refresh_from_db()
    assert not story.live
    assert visitor().get(story_url).status_code == 404

    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert any("rate limit" in record.getMessage().lower() for record in warnings)
    logged = " ".join(record.getMessage() + str(record.exc_info or "") for record in caplog.records)
    for personal in ("Anna", "anna@example.org", token, signing_link.split("/")[-2], PATIENT):
        assert personal not in logged


def test_with_redis_down_a_guessed_link_is_refused_and_a_valid_one_is_not(live_patient_story, redis_down):
    """The safe side of each limit: guesses are refused, a patient's own link goes through."""
    _story, consent, token = live_patient_story
    redis_down()
    assert visitor().get("/nl/consent/withdraw/guessed-link/").status_code == 429
    assert withdraw(visitor(), token).status_code == 200
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None


class FlakyCache(LocMemCache):
    """A page cache whose server can be cut off and brought back with everything it held."""

    down = False

    def __getattribute__(self, name):
        if name in CACHE_OPERATIONS and type(self).down:
            raise ConnectionError("page cache unreachable")
        return super().__getattribute__(name)


CACHE_OPERATIONS = {"get", "set", "add", "delete", "get_many", "set_many", "delete_many", "touch", "has_key", "incr"}


@pytest.fixture
def flaky_page_cache(settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "tests.site.test_proxy_and_redis_down.FlakyCache", "LOCATION": "flaky-pages"},
    }
    FlakyCache.down = False
    yield FlakyCache
    FlakyCache.down = False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_story_withdrawn_while_the_cache_was_down_is_not_served_from_it_when_it_is_back(
    flaky_page_cache, home, live_patient_story
):
    story, consent, token = live_patient_story
    url = story.url
    for _visit in range(2):
        response = visitor().get(url)
    assert response["X-Cache"] == "hit"

    flaky_page_cache.down = True
    assert withdraw(visitor(PATIENT), token).status_code == 200
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
    flaky_page_cache.down = False  # back, with the copy it stored before the withdrawal

    response = visitor().get(url)
    assert response.status_code == 404
    assert "Terug op de fiets" not in response.content.decode()


def test_the_periodic_job_pays_a_purge_owed_since_an_outage(flaky_page_cache, make_org_story):
    from core.schedule import periodic_jobs
    from website.cache import _purge_owed

    story = make_org_story(title="Nieuwe scanner")
    for _visit in range(2):
        response = visitor().get(story.url)
    assert response["X-Cache"] == "hit"
    job = dict(periodic_jobs())["page-cache-owed-purge"]

    flaky_page_cache.down = True
    story.unpublish()  # its purge fails
    assert _purge_owed.is_set()
    job()  # still down: still owed
    assert _purge_owed.is_set()
    flaky_page_cache.down = False
    job()
    assert not _purge_owed.is_set()
    assert visitor().get(story.url).status_code == 404


def test_with_redis_down_the_newsletter_form_refuses_politely_and_sends_nothing(home, redis_down, mailoutbox):
    """Its limits keep a stranger from flooding someone's mailbox: while they cannot count, no mail goes out."""
    from newsletter.models import Subscriber

    redis_down()
    data = {"email": "someone@example.org", "language": "en", "source": "story"}
    response = visitor().post("/en/newsletter/subscribe/", data)
    assert response.status_code == 429
    assert not mailoutbox
    assert not Subscriber.objects.filter(email="someone@example.org").exists()


def test_a_redis_that_hangs_costs_the_pages_a_moment_not_a_timeout_each(
    home, story_index, make_org_story, live_patient_story, redis_hangs
):
    cut, held = redis_hangs
    story, consent, token = live_patient_story
    news = make_org_story(title="Nieuwe scanner")
    urls = ["/nl/", story_index.url, story.url, news.url, "/nl/feeds/rss/"]
    cut()
    started = time.monotonic()
    for url in urls * 2:
        assert visitor().get(url).status_code == 200, url
    assert withdraw(visitor(PATIENT), token).status_code == 200
    took = time.monotonic() - started
    # Without a breaker every cache operation (several a page) waits for its socket timeout.
    assert took < 8, took
    assert len(held) <= 4  # each cache asked once, then left alone for a while
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
