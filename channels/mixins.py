"""What channels needs of a page it posts: ``SyndicatedPageMixin`` (issue 12, docs/architecture.md).

Channels sits below stories and never names a story class. The page classes that go out on the
channels compose ``SyndicatedPageMixin`` (stories' ``StoryPage``, and so every story type), the way
Wagtail's ``Page`` composes ``DraftStateMixin``, and channels tests for the mixin. Whether a consent
must cover the page is consent's to say (``consent.gate.is_consent_gated``: a page composing
``ConsentGatedPageMixin``, a patient story); a syndicated page without it (an organisation story)
needs no consent to go out.
"""

import functools
from typing import Any

from consent.gate import is_consent_gated  # noqa: F401  (consent's one test; channels.plan imports it from here)


class SyndicatedPageMixin:
    """A page channels posts: publishing it plans its posts, unpublishing or deleting it takes them back.

    A plain mixin without fields, so composing it changes no table. Mix it in before ``Page``. The
    page provides what a post shows and what its content version is made of (the annotations
    declare them; the page's own fields supply them):

    - ``title`` and ``summary``: the post text defaults to the summary, else the title;
    - ``hero_image`` (an image or None) and ``hero_image_alt``: the image a post carries by default;
    - ``body``: a StreamField; with the fields above, the content version of a page no consent gates
      (a consent-gated page uses the consent's content hash);
    - ``post_plans``: the ``channels.PostPlan`` rows of the page (their ParentalKey names the table).
    """

    title: str
    summary: str
    hero_image: Any
    hero_image_alt: str
    body: Any
    post_plans: Any


@functools.cache
def syndicated_page_models():
    """The page models that compose ``SyndicatedPageMixin`` (base classes such as ``StoryPage`` too)."""
    from django.apps import apps

    return tuple(model for model in apps.get_models() if issubclass(model, SyndicatedPageMixin))
