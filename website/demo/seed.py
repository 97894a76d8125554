"""Builds the demo site: home pages, story indexes, themes and stories in Dutch and English.

Idempotent: everything is looked up by a stable key (slug, name, title) before it is created, so
running it again changes nothing. Patient stories are published only after a demo consent (signed
in person, covering the exact content) is recorded, as the publishing gate demands.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from consent.models import Channel, Consent, ConsentRequest, SignerRole
from consent.services import create_request, sign
from consent.texts import ensure_default_texts
from stories.models import Department, OrganisationStoryPage, PatientStoryPage, Person, StoryIndexPage, Theme
from website.models import HomePage

from .branding import ensure_branding
from .channel_plan import demo_account, new_plan, seed_channels, seed_newsletter_reach
from .content import DEPARTMENTS, PEOPLE, STORIES, THEMES
from .images import demo_image
from .inbox import seed_inbox
from .newsletter_issue import ensure_issue

HOME_TITLES = {"nl": "Verhalen uit de zorg", "en": "Stories from our care"}
HOME_INTROS = {
    "nl": "Patiënten en medewerkers vertellen over zorg die ertoe doet. Elk patiëntverhaal staat hier met toestemming.",
    "en": "Patients and staff tell about care that matters. Every patient story is here with consent.",
}
INDEX = {"nl": ("Verhalen", "verhalen"), "en": ("Stories", "stories")}


class Seeder:
    def __init__(self, log=print):
        self.log = log
        self.created = 0

    def run(self):
        with transaction.atomic():
            locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in ("nl", "en")}
            homes = self.homes(locales)
            indexes = {code: self.index(homes[code], code) for code in homes}
            themes = self.themes(locales)
            departments = [
                Department.objects.get_or_create(name=name, location=place)[0] for name, place in DEPARTMENTS
            ]
            people = [Person.objects.get_or_create(full_name=p["full_name"], defaults=p)[0] for p in PEOPLE]
            account = demo_account()
            organisation = []
            for spec in STORIES:
                pages = self.story(spec, indexes, themes, departments, people, locales, account)
                if spec["kind"] == "organisation":
                    organisation += [(pages[code], spec) for code in pages]
            seed_channels(account, organisation)
            posted = [
                page for page, spec in organisation if spec["days_ago"] > 1 and page.locale_id == locales["nl"].pk
            ]
            if posted:
                seed_inbox(posted[0], locales)
            for code in indexes:
                stories = sorted(
                    (page for page, _spec in organisation if page.locale_id == locales[code].pk),
                    key=lambda page: page.date,
                    reverse=True,
                )
                seed_newsletter_reach(ensure_issue(code, stories))
            ensure_branding(Site.objects.get(is_default_site=True), homes, locales)
        return self.created

    # Pages -------------------------------------------------------------------------------------

    def homes(self, locales):
        root = Page.get_first_root_node()
        home = HomePage.objects.filter(depth=2, locale=locales["nl"]).first()
        if home is None:
            home = root.add_child(
                instance=HomePage(title=HOME_TITLES["nl"], slug="start", intro=HOME_INTROS["nl"], locale=locales["nl"])
            )
            home.save_revision().publish()
            self.created += 1
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            site = Site.objects.create(
                hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Vertel"
            )
        if site.root_page_id != home.pk:
            old_root = site.root_page.specific
            site.root_page = home
            site.save()
            # Wagtail's "Welcome to your new Wagtail site!" page has no place on a care organisation's site.
            if type(old_root) is Page and not old_root.get_children().exists():
                old_root.delete()
        english = home.get_translation_or_none(locales["en"])
        if english is None:
            english = home.copy_for_translation(locales["en"], copy_parents=False).specific
            english.title, english.intro = HOME_TITLES["en"], HOME_INTROS["en"]
            english.save_revision().publish()
            self.created += 1
        return {"nl": home, "en": english.specific}

    def index(self, home, code):
        existing = StoryIndexPage.objects.child_of(home).first()
        if existing is not None:
            return existing
        title, slug = INDEX[code]
        nl_index = None
        if code == "en":
            nl_index = StoryIndexPage.objects.filter(locale__language_code="nl").first()
        if nl_index is not None:
            index = nl_index.copy_for_translation(home.locale, copy_parents=False).specific
            index.title, index.slug = title, slug
        else:
            index = home.add_child(instance=StoryIndexPage(title=title, slug=slug, locale=home.locale))
        index.intro = {"nl": "Alle verhalen, nieuwste eerst.", "en": "All stories, newest first."}[code]
        index.save_revision().publish()
        self.created += 1
        return index

    def themes(self, locales):
        themes = {"nl": {}, "en": {}}
        for slug, name_nl, name_en in THEMES:
            dutch, made = Theme.objects.get_or_create(slug=slug, locale=locales["nl"], defaults={"name": name_nl})
            english = dutch.get_translation_or_none(locales["en"])
            if english is None:
                english = dutch.copy_for_translation(locales["en"])
                english.name = name_en
                english.save()
            themes["nl"][slug], themes["en"][slug] = dutch, english
        return themes

    def story(self, spec, indexes, themes, departments, people, locales, account):
        """The story in both languages (``{code: page}``); organisation stories with a demo post plan."""
        original, pages = None, {}
        for code in ("nl", "en"):
            text = spec[code]
            index = indexes[code]
            existing = index.get_children().filter(slug=text["slug"]).first()
            if existing is not None:
                pages[code] = existing.specific
                original = original or pages[code]
                continue
            image = demo_image(text["slug"], spec["color"])
            fields = {
                "title": text["title"],
                "slug": text["slug"],
                "summary": text["summary"],
                "date": timezone.localdate() - datetime.timedelta(days=spec["days_ago"]),
                "hero_image": image,
                "hero_image_alt": text["summary"][:240],
                "department": departments[spec["department"]] if spec["department"] is not None else None,
                "body": [
                    ("paragraph", "".join(f"<p>{paragraph}</p>" for paragraph in text["paragraphs"])),
                    ("quote", {"text": text["quote"], "attribution": ""}),
                    ("callout", {"title": text["callout"][0], "text": f"<p>{text['callout'][1]}</p>"}),
                ],
            }
            if spec["kind"] == "patient":
                fields.update({"storyteller": people[spec["person"]], "naming": spec["naming"]})
            else:
                fields["kind"] = spec["org_kind"]
                fields["post_plans"] = [new_plan(account, spec, fields["date"])]
            if original is not None:
                page = original.copy_for_translation(locales[code], copy_parents=False).specific
                # The copy already holds its own copy of the original's plan (same account and time):
                # replacing it would delete a row whose reference-index update the worker still has
                # queued, and that task fails on the missing row.
                fields.pop("post_plans", None)
                for key, value in fields.items():
                    setattr(page, key, value)
            else:
                model = PatientStoryPage if spec["kind"] == "patient" else OrganisationStoryPage
                page = index.add_child(instance=model(live=False, locale=locales[code], **fields))
            page.themes.set([themes[code][slug] for slug in spec["themes"]])
            revision = page.save_revision()
            if spec["kind"] == "patient":
                self.consent(page, revision, code)
            revision.publish()
            self.created += 1
            original = original or page
            pages[code] = page
        return pages

    def consent(self, page, revision, code):
        """A demo consent for exactly this revision, through the same services a real signer's goes."""
        ensure_default_texts()
        person = page.storyteller
        request, _token = create_request(
            story=page,
            revision=revision,
            signer_name=person.full_name if person else "Demo",
            signer_email="",
            signer_role=SignerRole.PATIENT,
            language=code,
            proposed_channels=[Channel.WEBSITE, Channel.NEWSLETTER, Channel.SOCIAL],
            delivery=ConsentRequest.Delivery.IN_PERSON,
            created_by=None,
        )
        sign(
            request.pk,
            choices={
                "channels": request.proposed_channels,
                "naming": page.naming,
                "allow_photos": True,
                "valid_until": timezone.localdate() + datetime.timedelta(days=365),
                "typed_name": request.signer_name,
                "relation": "myself",
            },
            verification=Consent.Verification.IN_PERSON,
        )
