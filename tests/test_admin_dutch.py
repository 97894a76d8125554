"""A Dutch editor sees the admin in Dutch: no English sentence of our catalogues on any of our screens.

The demo content is loaded once for the module (``seed_demo``); a superuser whose Wagtail profile
says Dutch opens every admin screen of consent, channels, newsletter, stories and website with the
test client. A message of our catalogues (``locale/``, ``consent/``, ``newsletter/``,
``channels/locale``) whose English words appear in the page's visible text was shown untranslated:
a label evaluated at import time with ``gettext``, a string not wrapped at all but present in the
catalogue, or a catalogue that was not compiled.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

# Every test here shares the module's demo database (the ``_media_root`` below needs it), so all are
# database tests: pytest-django then keeps them together, before the transactional tests that
# empty the database, instead of moving the database-free ones to the end.
pytestmark = pytest.mark.django_db

CATALOGUES = ["locale", "consent/locale", "newsletter/locale", "channels/locale"]

ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unescape(text):
    return re.sub(r'\\([nt"\\])', lambda match: ESCAPES[match.group(1)], text)


def po_entries(text):
    """``(msgids, msgstrs)`` pairs of a .po text: singular and plural forms, header and obsolete entries left out."""
    entries, entry, key = [], None, None
    for line in [*text.splitlines(), ""]:
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
        if match:
            key = match.group(1)
            if key in ("msgctxt", "msgid") and (entry is None or "msgstr" in "".join(entry)):
                if entry is not None:
                    entries.append(entry)
                entry = {}
            entry[key] = match.group(2)
        elif line.startswith('"') and entry is not None and key:
            entry[key] += line[1:-1]
        elif not line.strip() and entry is not None:
            entries.append(entry)
            entry, key = None, None
    pairs = []
    for entry in entries:
        ids = [unescape(entry[k]) for k in ("msgid", "msgid_plural") if entry.get(k)]
        strs = [unescape(v) for k, v in entry.items() if k.startswith("msgstr")]
        if ids:
            pairs.append((ids, strs))
    return pairs


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[^>]+>|&\w+;")


def english_fragments():
    """The English text of our messages that a Dutch reader must never see: placeholder-free runs of two words or more.

    A message whose Dutch equals the English (``E-mail``, ``Bluesky``) says nothing, nor does a run
    that the Dutch repeats (a product name inside a sentence); one-word runs are too often the same
    word in a Dutch sentence, a name or a code.
    """
    fragments = set()
    for catalogue in CATALOGUES:
        po = Path(settings.BASE_DIR) / catalogue / "nl" / "LC_MESSAGES" / "django.po"
        for ids, strs in po_entries(po.read_text(encoding="utf-8")):
            dutch = " ".join(strs)
            for msgid in ids:
                for run in PLACEHOLDER.split(msgid):
                    run = " ".join(run.split()).strip(" .,:;()–—-")
                    if len(run.split()) >= 2 and len(run) >= 8 and run not in dutch:
                        fragments.add(run)
    return fragments


def json_strings(value):
    """Every string in a JSON value: Wagtail's sidebar, StreamField blocks and side panels carry their labels so."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def parsed_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text outside scripts and styles, the attributes read out or shown,
    and the strings of the JSON Wagtail's scripts render from (the menu, the blocks, the panels)."""

    ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-w-tooltip-content-value"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden, self.json = [], 0, False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
            self.json = tag == "script" and ("type", "application/json") in attrs
        for name, value in attrs:
            if not value:
                continue
            if name in self.ATTRIBUTES or (name == "value" and ("type", "submit") in attrs):
                self.parts.append(value)
            elif value.lstrip()[:1] in ("{", "[") and (data := parsed_json(value)) is not None:
                self.parts.extend(json_strings(data))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
            self.json = False

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)
        elif self.json and (found := parsed_json(data)) is not None:
            self.parts.extend(json_strings(found))


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def untranslated(html, fragments):
    """The English fragments shown in ``html``, as whole words."""
    text = visible_text(html)
    return sorted(f for f in fragments if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text))


# -- the detector can fail -------------------------------------------------------------------------


def test_the_detector_finds_an_english_sentence_and_ignores_dutch():
    fragments = english_fragments()
    with translation.override("en"):
        english = translation.gettext("The consent request was emailed to the signer.")
    with translation.override("nl"):
        dutch = translation.gettext("The consent request was emailed to the signer.")
    assert english != dutch
    page = f"<main><p>{dutch}</p><script>var s = '{english}';</script></main>"
    assert untranslated(page, fragments) == []
    sentence = english.rstrip(".")
    assert sentence in untranslated(f"<main><p>{english}</p></main>", fragments)
    assert sentence in untranslated(f'<button aria-label="{english}">x</button>', fragments)
    menu = json.dumps({"items": [{"label": english, "url": "/admin/"}]})
    assert sentence in untranslated(f'<script type="application/json" id="props">{menu}</script>', fragments)


class CatalogueWithout:
    """The Dutch catalogue with one message left out: what a string missing from the .mo looks like."""

    def __init__(self, catalogue, message):
        self.catalogue, self.message = catalogue, message

    def get(self, key, default=None):
        return default if key == self.message else self.catalogue.get(key, default)

    def __getitem__(self, key):
        if key == self.message:
            raise KeyError(key)
        return self.catalogue[key]

    def __contains__(self, key):
        return key != self.message and key in self.catalogue

    def __getattr__(self, name):
        return getattr(self.catalogue, name)


@pytest.mark.django_db
def test_a_message_left_untranslated_is_caught(client, demo, monkeypatch):
    """The screen test fails when a message of ours reaches a Dutch editor in English."""
    dutch = translation.trans_real.translation("nl")
    client.force_login(demo["user"])
    html = client.get(reverse("consent_evidence")).content.decode()
    assert "Consent evidence" not in untranslated(html, english_fragments())
    monkeypatch.setattr(dutch, "_catalog", CatalogueWithout(dutch._catalog, "Consent evidence"))
    html = client.get(reverse("consent_evidence")).content.decode()
    assert "Consent evidence" in untranslated(html, english_fragments())


# -- every screen ----------------------------------------------------------------------------------


def dutch_superuser(django_user_model, username="beheerder"):
    from wagtail.users.models import UserProfile

    user = django_user_model.objects.create_superuser(
        username=username, email=f"{username}@example.org", password="pw", first_name="Anna", last_name="de Vries"
    )
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "nl"
    profile.save()
    return user


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo content, a story in the patient-story workflow and a Dutch superuser: once for the module."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock(), transaction.atomic():
        from django.contrib.auth import get_user_model
        from wagtail.models import Collection

        if Collection.get_first_root_node() is None:
            Collection.add_root(name="Root")
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed with the process
        user = dutch_superuser(get_user_model(), "redactie")
        yield {"user": user, "media": media, **screens(user)}
        transaction.set_rollback(True)


@pytest.fixture
def _media_root(settings, demo):
    # The module's media: the demo's images live there for every test of the module.
    settings.MEDIA_ROOT = demo["media"]


def screens(user):
    """The admin screens of our apps, with the demo's objects in them."""
    from channels.models import ChannelAccount, Dispatch
    from consent.models import Consent, ConsentRequest
    from consent.workflow import get_patient_story_workflow
    from newsletter.models import NewsletterIssue
    from stories.models import Department, PatientStoryPage, Person, Theme
    from website.models import OrganisationSettings

    story = PatientStoryPage.objects.filter(locale__language_code="nl").first()
    in_workflow = PatientStoryPage.objects.filter(locale__language_code="nl").exclude(pk=story.pk).first()
    in_workflow.title = f"{in_workflow.title} (herzien)"
    revision = in_workflow.save_revision(user=user)
    get_patient_story_workflow().start(in_workflow, user)
    assert revision.pk
    consent = Consent.objects.filter(story_id=story.pk).first()
    account = ChannelAccount.objects.first()
    dispatch = Dispatch.objects.first()
    issue = NewsletterIssue.objects.first()
    person = consent.person
    urls = {
        "dashboard": reverse("wagtailadmin_home"),
        "page editor": reverse("wagtailadmin_pages:edit", args=[story.pk]),
        "page editor in workflow": reverse("wagtailadmin_pages:edit", args=[in_workflow.pk]),
        "workflow history": reverse("wagtailadmin_pages:workflow_history", args=[in_workflow.pk]),
        "workflows": reverse("wagtailadmin_workflows:index"),
        "workflow tasks": reverse("wagtailadmin_workflows:task_index"),
        "consent request form": reverse("consent_request", args=[story.pk]),
        "consent requests": reverse("consent_requests"),
        "consent requests of a story": f"{reverse('consent_requests')}?story={story.pk}",
        "evidence": reverse("consent_evidence"),
        "evidence of a person": f"{reverse('consent_evidence')}?person={person.pk}",
        "printable evidence": reverse("consent_evidence_export", args=[consent.pk]),
        "erase confirmation": reverse("consent_erase_person", args=[person.pk]),
        "consent texts": reverse("consent_texts:index"),
        "channel accounts": reverse("channel_accounts:index"),
        "channel account": reverse("channel_accounts:edit", args=[account.pk]),
        "new channel account": reverse("channel_accounts:add"),
        "dispatch log": reverse("channel_dispatches:index"),
        "dispatch": reverse("channel_dispatches:inspect", args=[dispatch.pk]),
        "calendar": reverse("channels_admin:calendar"),
        "failed posts": reverse("channels_admin:failed"),
        "reach": reverse("channels_reach_report"),
        "newsletter issues": reverse("newsletter_issues:index"),
        "newsletter issue": reverse("newsletter_issues:edit", args=[issue.pk]),
        "newsletter send": reverse("newsletter_issue_send", args=[issue.pk]),
        "newsletter subscribers": reverse("newsletter_subscribers:index"),
        "newsletter import": reverse("newsletter_import"),
        "themes": reverse("wagtailsnippets_stories_theme:list"),
        "departments": reverse("wagtailsnippets_stories_department:list"),
        "storytellers": reverse("wagtailsnippets_stories_person:list"),
        "storyteller": reverse("wagtailsnippets_stories_person:edit", args=[Person.objects.first().pk]),
        "theme": reverse("wagtailsnippets_stories_theme:edit", args=[Theme.objects.first().pk]),
        "department": reverse("wagtailsnippets_stories_department:edit", args=[Department.objects.first().pk]),
        "organisation settings": reverse(
            "wagtailsettings:edit", args=["website", OrganisationSettings._meta.model_name]
        ),
    }
    pending = ConsentRequest.objects.filter(status=ConsentRequest.Status.PENDING).first()
    if pending is not None:
        urls["consent requests of the pending story"] = f"{reverse('consent_requests')}?story={pending.story_id}"
    return {"urls": urls, "story": story, "in_workflow": in_workflow}


SCREENS = [
    "dashboard",
    "page editor",
    "page editor in workflow",
    "workflow history",
    "workflows",
    "workflow tasks",
    "consent request form",
    "consent requests",
    "consent requests of a story",
    "evidence",
    "evidence of a person",
    "printable evidence",
    "erase confirmation",
    "consent texts",
    "channel accounts",
    "channel account",
    "new channel account",
    "dispatch log",
    "dispatch",
    "calendar",
    "failed posts",
    "reach",
    "newsletter issues",
    "newsletter issue",
    "newsletter send",
    "newsletter subscribers",
    "newsletter import",
    "themes",
    "departments",
    "storytellers",
    "storyteller",
    "theme",
    "department",
    "organisation settings",
]


@pytest.fixture(scope="module")
def fragments():
    return english_fragments()


@pytest.mark.django_db
@pytest.mark.parametrize("screen", SCREENS)
def test_every_admin_screen_is_dutch_for_a_dutch_editor(client, demo, fragments, screen):
    client.force_login(demo["user"])
    response = client.get(demo["urls"][screen], follow=True)
    assert response.status_code == 200, screen
    html = response.content.decode()
    assert re.search(r'<html[^>]*lang="nl"', html), f"{screen}: not rendered in Dutch"
    assert untranslated(html, fragments) == [], f"{screen} shows English"


@pytest.mark.django_db
def test_the_printable_signing_link_is_dutch(client, demo, fragments):
    """The page an in-person request prints (shown once, right after the request)."""
    client.force_login(demo["user"])
    story = demo["story"]
    response = client.post(
        reverse("consent_request", args=[story.pk]),
        {
            "signer_name": "Jan Jansen",
            "in_person": "on",
            "signer_role": "representative",
            "language": "nl",
            "proposed_channels": ["website"],
        },
    )
    assert response.status_code == 200
    assert "consent/admin/printable_link.html" in [t.name for t in response.templates], visible_text(
        response.content.decode()
    )[:800]
    html = response.content.decode()
    assert untranslated(html, fragments) == []


# -- the workflow's names ----------------------------------------------------------------------------


def english_superuser(django_user_model):
    from wagtail.users.models import UserProfile

    user = django_user_model.objects.create_superuser(username="editor-en", email="en@example.org", password="pw")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.mark.django_db
def test_the_workflow_and_its_tasks_are_named_in_the_readers_language(client, demo, django_user_model):
    from wagtail.models import Workflow

    from consent.workflow import WORKFLOW_NAME

    editor_url = demo["urls"]["page editor in workflow"]
    client.force_login(demo["user"])
    dutch = visible_text(client.get(editor_url).content.decode())
    assert "Patiëntverhaal" in dutch and "Toestemming van de patiënt" in dutch
    assert "Patient story" not in dutch and "Patient consent" not in dutch
    workflows = visible_text(client.get(reverse("wagtailadmin_workflows:index")).content.decode())
    assert "Patiëntverhaal" in workflows and "Redactionele goedkeuring" in workflows

    client.force_login(english_superuser(django_user_model))
    english = visible_text(client.get(editor_url).content.decode())
    assert "Patient story" in english and "Patient consent" in english and "Patiëntverhaal" not in english

    # Saved from the Dutch form, the name is still ours: each reader sees it in their language.
    workflow = Workflow.objects.get(name=WORKFLOW_NAME)
    Workflow.objects.filter(pk=workflow.pk).update(name="Patiëntverhaal")
    assert "Patient story" in visible_text(client.get(reverse("wagtailadmin_workflows:index")).content.decode())
    # A name someone chose stays as typed, in every language.
    Workflow.objects.filter(pk=workflow.pk).update(name="Verhalen van patiënten")
    assert "Verhalen van patiënten" in visible_text(client.get(editor_url).content.decode())
    client.force_login(demo["user"])
    assert "Verhalen van patiënten" in visible_text(client.get(editor_url).content.decode())
