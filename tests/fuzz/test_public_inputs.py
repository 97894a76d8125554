"""Random input on every public form, filter and token address: never a server error.

Every example goes through the whole stack with Django's test client (errors become responses,
as for a visitor) and must answer below 500. Rate limits are reset between examples so the views
themselves, not the limiter, meet the input. Besides the named addresses, every public route the
URLconf knows is fuzzed: its path is built with ``reverse()`` in each language (numbers where the
route takes numbers, the site's real ids and tokens as often as random ones), then asked for with
random query strings and sent random form posts. A route added to the URLconf without being added
here fails ``test_every_public_route_is_fuzzed``.
"""

import datetime
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import PageViewRestriction

from consent.content import content_hash, content_manifest
from consent.models import ConsentRequest, SignerRole, hash_token, new_token
from newsletter.models import NewsletterIssue
from tests.consent.gate_fixtures import build_consent

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=300,
)
tokens = st.one_of(
    junk,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=2000),
    st.sampled_from(["..", "%2e%2e", "../../etc/passwd", "' OR 1=1 --", "<script>", "\u202e", "ä" * 500]),
)
params = st.lists(
    st.tuples(st.sampled_from(["q", "page", "theme", "tag", "type", "utm_source", "x"]), junk), max_size=6
)
form_values = st.one_of(
    junk, st.sampled_from(["", "on", "website", "newsletter", "social", "anonymous", "2099-01-01"])
)


def visitor():
    return Client(raise_request_exception=False, HTTP_USER_AGENT="fuzz")


def fresh_limits():
    for cache in caches.all(initialized_only=False):
        cache.clear()


def assert_no_server_error(response, what):
    assert response.status_code < 500, f"{what} answered {response.status_code}"


@pytest.fixture
def public_site(home, story_index, make_patient_story, make_org_story, theme, settings):
    """A live patient story (with its withdrawal token), an organisation story and an open signing link."""
    settings.PAGE_CACHE_ENABLED = True
    story = make_patient_story(title="Terug op de fiets")
    story.themes.add(theme)
    story.tags.add("revalidatie")
    story.save_revision()
    withdrawal_token = new_token()
    consent = build_consent(
        story, channels=("website", "newsletter"), withdrawal_token_hash=hash_token(withdrawal_token)
    )
    story.get_latest_revision().publish()
    story.refresh_from_db()
    organisation_story = make_org_story(title="Open dag")
    # Behind Wagtail's password form (served at /<lang>/_util/authenticate_with_password/…).
    restriction = PageViewRestriction.objects.create(
        page=organisation_story, restriction_type=PageViewRestriction.PASSWORD, password="geheim"
    )
    draft = make_patient_story(title="Nog te tekenen")
    sign_token = new_token()
    revision = draft.get_latest_revision()
    ConsentRequest.objects.create(
        story=draft,
        story_title=draft.title,
        revision=revision,
        content_hash=content_hash(revision.as_object()),
        content_manifest=content_manifest(revision.as_object()),
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role=SignerRole.PATIENT,
        language="nl",
        proposed_channels=["website", "newsletter"],
        token_hash=hash_token(sign_token),
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    assert visitor().get(f"/nl/consent/sign/{sign_token}/").status_code == 200
    issue = NewsletterIssue.objects.create(
        language="nl", title="Nieuwsbrief mei", status=NewsletterIssue.Status.SENT, sent_at=timezone.now()
    )
    return {
        "story": story,
        "consent": consent,
        "index": story_index,
        "withdraw": withdrawal_token,
        "sign": sign_token,
        "restricted": organisation_story,
        "restriction": restriction,
        "issue": issue,
    }


def test_token_addresses_never_fail(public_site):
    @FUZZ
    @given(kind=st.sampled_from(["sign", "withdraw"]), language=st.sampled_from(["nl", "en"]), token=tokens)
    def check(kind, language, token):
        fresh_limits()
        path = f"/{language}/consent/{kind}/{quote(token, safe='')}/"
        assert_no_server_error(visitor().get(path), path)
        assert_no_server_error(visitor().post(path, {"channels": ["website"]}), path)

    check()


def test_sign_form_never_fails(public_site):
    path = f"/nl/consent/sign/{public_site['sign']}/"

    @FUZZ
    @given(
        data=st.fixed_dictionaries(
            {},
            optional={
                name: st.one_of(form_values, st.lists(form_values, max_size=3))
                for name in (
                    "channels",
                    "naming",
                    "allow_photos",
                    "allow_video",
                    "valid_until",
                    "patient_birth_date",
                    "typed_name",
                    "relation",
                    "declaration",
                    "sign",
                    "send_code",
                    "code",
                )
            },
        )
    )
    def check(data):
        fresh_limits()
        assert_no_server_error(visitor().post(path, data), f"sign form with {data!r}")

    check()


def test_withdraw_form_never_fails(public_site):
    """Every example meets a consent that is still active: the first withdrawal must not end the test's reach."""
    from consent.models import Consent

    consent = public_site["consent"]
    story = public_site["story"]
    path = f"/en/consent/withdraw/{public_site['withdraw']}/"

    @FUZZ
    @given(channels=st.lists(form_values, max_size=4), extra=junk)
    def check(channels, extra):
        fresh_limits()
        Consent.objects.filter(pk=consent.pk).update(withdrawn_at=None, withdrawn_channels=[])
        story.refresh_from_db()
        if not story.live:
            story.get_latest_revision().publish()
        assert visitor().get(path).status_code == 200  # the form, not "already withdrawn"
        assert_no_server_error(visitor().post(path, {"channels": channels, "other": extra}), path)

    check()


def test_search_listing_and_feed_parameters_never_fail(public_site):
    index = public_site["index"].url
    story = public_site["story"].url
    addresses = ["/nl/search/", "/en/search/", index, "/nl/", story, "/nl/feeds/rss/", "/en/feeds/json/"]
    addresses += ["/nl/feeds/atom/", "/sitemap.xml"]

    @FUZZ
    @given(address=st.sampled_from(addresses), query=params)
    def check(address, query):
        response = visitor().get(f"{address}?{urlencode(query)}")
        assert_no_server_error(response, f"{address}?{urlencode(query)}")

    check()


def test_path_junk_never_fails(public_site):
    index = public_site["index"].url

    @FUZZ
    @given(prefix=st.sampled_from(["/", "/nl/", "/en/", index, "/nl/feeds/", "/nl/newsletter/", "/reach/"]), tail=junk)
    def check(prefix, tail):
        path = prefix + quote(tail, safe="/")
        assert_no_server_error(visitor().get(path), path)

    check()


# Every public route ------------------------------------------------------------------------------

# Prefixes that are not public: the admin needs a login, documents are served by Wagtail's own
# permission checks. ``anymail/`` appears only with ANYMAIL_WEBHOOK_SECRET set (basic auth).
NOT_PUBLIC = ("admin/", "django-admin/", "documents/", "anymail/")


def public_route_names():
    """The name (``namespace:name``) of every route outside the admin, from the URLconf itself."""
    names = set()

    def walk(patterns, namespaces, prefix):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if text.startswith(NOT_PUBLIC) or any(
                text.startswith(f"{code}/{p}") for code in ("nl", "en") for p in NOT_PUBLIC
            ):
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, namespaces + ([entry.namespace] if entry.namespace else []), text)
            elif isinstance(entry, URLPattern):
                assert entry.name, f"the public route {text!r} has no name, so it cannot be fuzzed by name"
                names.add(":".join([*namespaces, entry.name]))

    walk(get_resolver().url_patterns, [], "")
    return names


slug = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)
path_tokens = tokens.map(lambda token: token.replace("/", "") or "x")  # a path segment cannot hold "/"
integers = st.integers(min_value=0, max_value=2**63 - 1)
form_fields = st.dictionaries(
    st.sampled_from(["email", "token", "language", "themes", "name", "url", "next", "password", "return_url", "q"]),
    st.one_of(junk, form_values),
    max_size=5,
)


def routes(site):
    """For every public route: a strategy for its path arguments and one for what is posted to it.

    The real ids and tokens of ``site`` are drawn often enough that the views get past their
    lookups; random ones cover the "not found" branches. Keep in step with the URLconf:
    ``test_every_public_route_is_fuzzed`` fails when a route is missing here.
    """
    from channels import reach

    nothing = st.just({})
    real_or_random = lambda *ids: st.one_of(st.sampled_from(ids), integers)  # noqa: E731
    page_paths = [
        page.url.removeprefix("/nl/") for page in (site["story"], site["index"], site["restricted"]) if page.url
    ]
    return {
        "sitemap": (nothing, form_fields),
        "robots_txt": (nothing, form_fields),
        "brand_css": (nothing, form_fields),
        "set_language": (nothing, form_fields),
        "search": (nothing, form_fields),
        "channels:reach_beacon": (
            nothing,
            st.fixed_dictionaries(
                {},
                optional={
                    "page": st.one_of(st.just(str(site["story"].pk)), integers.map(str), junk),
                    "source": st.one_of(st.sampled_from(sorted(reach.known_sources()) or ["mastodon"]), junk),
                },
            ),
        ),
        "consent:sign": (st.fixed_dictionaries({"token": st.one_of(st.just(site["sign"]), path_tokens)}), form_fields),
        "consent:withdraw": (
            st.fixed_dictionaries({"token": st.one_of(st.just(site["withdraw"]), path_tokens)}),
            form_fields,
        ),
        "consent:withdraw_lost": (
            nothing,
            st.fixed_dictionaries({}, optional={"email": st.one_of(st.just("anna@example.org"), junk)}),
        ),
        "newsletter:subscribe": (nothing, form_fields),
        "newsletter:subscribe_quick": (nothing, form_fields),
        "newsletter:confirm": (
            st.fixed_dictionaries({"token": st.one_of(st.just("@confirm"), path_tokens)}),
            form_fields,
        ),
        "newsletter:unsubscribe": (
            st.fixed_dictionaries({"token": st.one_of(st.just("@link"), path_tokens)}),
            form_fields,
        ),
        "newsletter:preferences": (
            st.fixed_dictionaries({"token": st.one_of(st.just("@link"), path_tokens)}),
            form_fields,
        ),
        "newsletter:archive": (nothing, form_fields),
        "newsletter:archive_detail": (st.fixed_dictionaries({"pk": real_or_random(site["issue"].pk)}), form_fields),
        "newsletter:bounce_webhook": (nothing, form_fields),
        "conversations_hooks:meta_webhook": (
            nothing,
            st.fixed_dictionaries(
                {},
                optional={
                    "hub.mode": st.one_of(st.just("subscribe"), junk),
                    "hub.verify_token": junk,
                    "hub.challenge": junk,
                },
            ),
        ),
        "conversations_hooks:linkedin_webhook": (nothing, st.fixed_dictionaries({}, optional={"challengeCode": junk})),
        "stories:feed_rss": (nothing, form_fields),
        "stories:feed_atom": (nothing, form_fields),
        "stories:feed_json": (nothing, form_fields),
        "wagtailcore_authenticate_with_password": (
            st.fixed_dictionaries(
                {
                    "page_view_restriction_id": real_or_random(site["restriction"].pk),
                    "page_id": real_or_random(site["restricted"].pk, site["story"].pk),
                }
            ),
            st.fixed_dictionaries(
                {}, optional={"password": st.one_of(st.just("geheim"), junk), "return_url": st.one_of(junk, slug)}
            ),
        ),
        "wagtailcore_login": (nothing, form_fields),
        # Wagtail's catch-all page route: real pages and random paths below them.
        "wagtail_serve": (
            st.one_of(
                st.sampled_from(page_paths),
                st.lists(slug, max_size=4).map(lambda parts: "".join(f"{p}/" for p in parts)),
            ).map(lambda path: {"path": path}),
            form_fields,
        ),
    }


def test_every_public_route_is_fuzzed(public_site):
    """A public route added to the URLconf fails here until it is added to ``routes()`` below."""
    assert public_route_names() == set(routes(public_site))


def build_path(name, language, arguments):
    with translation.override(language):
        if name == "wagtail_serve":
            return reverse(name, args=[arguments["path"]])
        return reverse(name, kwargs=arguments)


@pytest.fixture
def pending_subscriber(public_site):
    from newsletter.models import Subscriber

    subscriber = Subscriber(email="nieuw@example.org", language="nl", status=Subscriber.Status.PENDING)
    subscriber.save()
    return subscriber


def test_every_public_route_never_fails(public_site, pending_subscriber):
    """Random path arguments (numbers where the route wants numbers), query strings and posts on every route."""
    from newsletter.models import Subscriber

    table = routes(public_site)
    names = sorted(table)

    @FUZZ
    @given(data=st.data(), name=st.sampled_from(names), language=st.sampled_from(["nl", "en"]), query=params)
    def check(data, name, language, query):
        fresh_limits()
        arguments_strategy, form_strategy = table[name]
        arguments = dict(data.draw(arguments_strategy, label="arguments"))
        # A valid confirmation link and personal link, fresh for every example (a confirmation uses it up).
        subscriber = Subscriber.objects.get(pk=pending_subscriber.pk)
        if arguments.get("token") == "@confirm":
            Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.PENDING)
            subscriber.refresh_from_db()
            arguments["token"] = subscriber.new_confirm_token()
            subscriber.save()
        elif arguments.get("token") == "@link":
            arguments["token"] = subscriber.link_token
        path = build_path(name, language, arguments)
        form = data.draw(form_strategy, label="form")
        assert_no_server_error(visitor().get(f"{path}?{urlencode(query)}"), path)
        assert_no_server_error(visitor().post(path, form), f"POST {path} {form!r}")

    check()


def test_the_reach_beacon_never_fails_whatever_the_body(public_site):
    """The beacon takes a raw body from any page's script: any content type, any bytes."""
    path = reverse("channels:reach_beacon")

    @FUZZ
    @given(
        body=st.one_of(st.binary(max_size=2000), junk.map(str.encode)),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "text/plain;charset=UTF-8",
                "multipart/form-data; boundary=x",
                "",
                "application/json",
            ]
        ),
    )
    def check(body, content_type):
        fresh_limits()
        assert_no_server_error(
            visitor().generic("POST", path, body, content_type=content_type), f"{content_type} {body!r}"
        )

    check()


def test_the_bounce_webhook_never_fails_whatever_is_signed(public_site, settings):
    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_WEBHOOK_SECRET": "s3cret"}
    path = reverse("newsletter:bounce_webhook")

    @FUZZ
    @given(
        body=st.one_of(st.binary(max_size=500), junk.map(str.encode)),
        signature=st.one_of(junk, st.just("sha256=" + "0" * 64)),
        timestamp=st.one_of(junk, integers.map(str)),
    )
    def check(body, signature, timestamp):
        fresh_limits()
        response = visitor().generic(
            "POST",
            path,
            body,
            content_type="application/json",
            HTTP_X_VERTEL_SIGNATURE=signature,
            HTTP_X_VERTEL_TIMESTAMP=timestamp,
        )
        assert_no_server_error(response, f"bounce webhook with {body!r}")

    check()


def test_newsletter_forms_never_fail(public_site, theme):
    """The subscribe forms, and the preferences and unsubscribe forms behind a real personal link."""
    from newsletter.models import Subscriber

    subscriber = Subscriber(email="lezer@example.org", language="nl", status=Subscriber.Status.CONFIRMED)
    subscriber.save()
    token = subscriber.link_token
    paths = [
        "/nl/newsletter/",
        "/en/newsletter/",
        "/nl/newsletter/subscribe/",
        f"/nl/newsletter/preferences/{token}/",
        f"/nl/newsletter/unsubscribe/{token}/",
    ]
    fields = ["email", "language", "themes", "source", "source_page", "website", "List-Unsubscribe"]

    @FUZZ
    @given(
        path=st.sampled_from(paths),
        form=st.dictionaries(st.sampled_from(fields), st.one_of(form_values, st.just(str(theme.pk)))),
    )
    def check(path, form):
        fresh_limits()
        assert_no_server_error(visitor().post(path, form), path)

    check()
    # Found by the fuzzer: a superscript digit passes str.isdigit() but not int().
    for path in paths[:3]:
        fresh_limits()
        assert_no_server_error(visitor().post(path, {"email": "a@example.org", "themes": "¹"}), path)
    # Whatever came in, the subscriber's record is intact or cleanly unsubscribed; never half-written.
    subscriber.refresh_from_db()
    assert subscriber.language in ("nl", "en")
    assert subscriber.status in (Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED)


WEBHOOK_KEYS = [
    "object",
    "entry",
    "id",
    "time",
    "changes",
    "field",
    "value",
    "item",
    "verb",
    "comment_id",
    "post_id",
    "parent_id",
    "from",
    "message",
    "media",
    "text",
    "notifications",
    "organizationalEntity",
    "action",
    "generatedActivity",
    "decoratedGeneratedActivity",
    "comment",
    "notificationId",
    "lastModifiedAt",
]

# A JSON value of any shape, for the signed bodies of the conversation webhooks.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), junk),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(junk, st.sampled_from(WEBHOOK_KEYS)), children, max_size=5),
    ),
    max_leaves=20,
)


def test_the_conversation_webhooks_never_fail_whatever_is_signed(public_site):
    """Correctly signed bodies of any shape (Meta's and LinkedIn's), and junk signatures: never a 500."""
    import hashlib
    import hmac
    import json

    from tests.factories import ChannelAccountFactory

    ChannelAccountFactory(kind="facebook", config={"page_id": "1"}, credentials={"app_secret": "meta-secret"})
    ChannelAccountFactory(kind="linkedin", config={"organization_id": "2"}, credentials={"client_secret": "li-secret"})
    meta, linkedin = reverse("conversations_hooks:meta_webhook"), reverse("conversations_hooks:linkedin_webhook")
    shaped = st.fixed_dictionaries(
        {
            "object": st.one_of(st.sampled_from(["page", "instagram"]), junk),
            "entry": st.lists(
                st.fixed_dictionaries(
                    {"id": st.sampled_from(["1", 1, "x"]), "changes": st.lists(json_values, max_size=3)}
                ),
                max_size=3,
            ),
            "notifications": st.lists(
                st.fixed_dictionaries(
                    {"organizationalEntity": st.just("urn:li:organization:2")},
                    optional={
                        "action": st.sampled_from(["COMMENT", "COMMENT_DELETE", "SHARE_MENTION"]),
                        "generatedActivity": json_values,
                        "decoratedGeneratedActivity": json_values,
                        "notificationId": json_values,
                        "lastModifiedAt": json_values,
                        "sourcePost": json_values,
                    },
                ),
                max_size=3,
            ),
        }
    )

    @FUZZ
    @given(
        payload=st.one_of(json_values, shaped),
        raw=st.one_of(st.none(), st.binary(max_size=300)),
        signature=st.one_of(st.none(), junk),
    )
    def check(payload, raw, signature):
        fresh_limits()
        body = raw if raw is not None else json.dumps(payload).encode()
        for path, header, secret, prefix in (
            (meta, "HTTP_X_HUB_SIGNATURE_256", "meta-secret", "sha256="),
            (linkedin, "HTTP_X_LI_SIGNATURE", "li-secret", ""),
        ):
            signed = prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            response = visitor().generic(
                "POST",
                path,
                body,
                content_type="application/json",
                **{header: signature if signature is not None else signed},
            )
            assert_no_server_error(response, f"{path} with {body[:200]!r}")

    check()
