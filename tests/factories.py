"""Factories of the test suite (factory-boy): stories, storytellers, channel accounts, subscribers, consents.

The fixtures of ``conftest.py`` build on them; tests may call them directly. The consent
factories live in ``devtools.consent`` (the benchmarks use them too) and are re-exported here:
``build_consent`` signs through ``consent.services.sign``, so a consent is what signing makes.
"""

import factory
from factory.django import DjangoModelFactory

from channels.models import ChannelAccount
from devtools.consent import ConsentRequestFactory, ConsentTextFactory, build_consent
from newsletter.models import Subscriber
from stories.models import OrganisationStoryPage, PatientStoryPage, Person

__all__ = [
    "ChannelAccountFactory",
    "ConsentRequestFactory",
    "ConsentTextFactory",
    "OrganisationStoryPageFactory",
    "PatientStoryPageFactory",
    "PersonFactory",
    "SubscriberFactory",
    "build_consent",
]


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    full_name = "Anna de Vries"
    first_name = "Anna"
    pseudonym = "A."


class _StoryPageFactory(DjangoModelFactory):
    """A story page added below ``parent`` (a story index), with one saved revision; never live.

    ``publish=True`` publishes that revision (the page is refreshed from the database).
    """

    class Meta:
        abstract = True

    live = False
    body = factory.LazyFunction(lambda: [("paragraph", "<p>Ik werd goed geholpen.</p>")])

    @classmethod
    def _create(cls, model_class, *args, parent, publish=False, **kwargs):
        kwargs.setdefault("locale", parent.locale)
        page = model_class(*args, **kwargs)
        parent.add_child(instance=page)
        revision = page.save_revision()
        if publish:
            revision.publish()
            page.refresh_from_db()
        return page


class PatientStoryPageFactory(_StoryPageFactory):
    class Meta:
        model = PatientStoryPage

    title = factory.Sequence(lambda n: f"Patiëntverhaal {n + 1}")
    summary = "Een verhaal over zorg."
    storyteller = factory.SubFactory(PersonFactory)


class OrganisationStoryPageFactory(_StoryPageFactory):
    class Meta:
        model = OrganisationStoryPage

    title = factory.Sequence(lambda n: f"Organisatieverhaal {n + 1}")
    summary = "Nieuws uit het ziekenhuis."
    body = factory.LazyFunction(lambda: [("paragraph", "<p>Nieuws.</p>")])


class ChannelAccountFactory(DjangoModelFactory):
    """An active channel account; ``credentials`` are stored encrypted (``set_credentials``)."""

    class Meta:
        model = ChannelAccount

    name = factory.LazyAttribute(lambda o: f"{o.kind.title()} account")
    kind = "testnet"
    active = True
    config = factory.LazyFunction(dict)
    credentials = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, credentials, **kwargs):
        account = model_class(*args, **kwargs)
        if credentials:
            account.set_credentials(credentials)
        account.save()
        return account


class SubscriberFactory(DjangoModelFactory):
    """A confirmed subscriber who subscribed on the website (``save`` derives the link token)."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n + 1}@example.org")
    language = "nl"
    status = Subscriber.Status.CONFIRMED
    source = Subscriber.Source.PAGE
