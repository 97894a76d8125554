"""The one consent decision: may this page go out on this channel, in this version, with these media?

Every caller asks here: the publishing gate (``gate.check_consent``), dispatch to the networks
(``channels.dispatch``), the plan panel (``channels.plan``), the newsletter
(``newsletter.rendering``) and the sweep for missed removals (``channels.retraction``). Each turns
the ``code`` of the answer into its own sentence; none repeats the rule.

The rule: a consent covers ``channel_key`` in version ``content_hash`` when it is active (signed,
not withdrawn, not erased, not past its end) at ``at``, the signer chose the channel (an
``account:<id>`` is also covered by the ``social`` group) and has not withdrawn it, and it was
signed for exactly that content hash. When media are asked about, the signed content must show no
photo or video the signer refused.
"""

from dataclasses import dataclass, field

from core import channel_keys

from .gating import consent_story_id, is_consent_gated

# The codes of a coverage answer.
NOT_GATED = "not_gated"  # the page needs no consent (an organisation story)
COVERED = "covered"
NO_PHOTOS = "no_photos"  # covered, but the content shows a photo the signer refused
NO_VIDEO = "no_video"  # covered, but the content shows a video the signer refused
CHANGED = "changed"  # a consent covers the channel, for another version of the story
WITHDRAWN = "withdrawn"  # the consent that chose the channel was withdrawn, or the channel was
EXPIRED = "expired"  # every consent of the story has ended (none was withdrawn)
NOT_CHOSEN = "not_chosen"  # consents are active, but none chose this channel
MISSING = "missing"  # the story has no consent at all

PASSING = (NOT_GATED, COVERED)


@dataclass(frozen=True)
class Coverage:
    """The answer of ``coverage()``.

    ``covering`` are the consents that cover the channel in this version (newest first);
    ``other_version`` the active consents that cover the channel for another version (newest
    first: the first is what the signer last saw).
    """

    code: str
    consent: object = None
    covering: tuple = field(default_factory=tuple)
    other_version: tuple = field(default_factory=tuple)

    @property
    def ok(self):
        return self.code in PASSING

    @property
    def allows_photos(self):
        """Whether a post may carry an image: one signer's "no photos" is not outvoted by another's."""
        if self.code == NOT_GATED:
            return True
        return bool(self.covering) and all(consent.allow_photos for consent in self.covering)


def is_active(consent, at=None):
    """Signed, not withdrawn, not erased, not past its end at ``at``: ``Consent.is_active_at``.

    Every decision of this module asks here (a test breaks the rule here alone and watches every
    caller follow); the definition itself lives beside its query twin in ``consent.models``.
    """
    return consent.is_active_at(at)


def covering_consents(consents, channel_key, content_hash, at=None):
    """The consents among ``consents`` that cover ``channel_key`` in version ``content_hash``."""
    return [
        consent
        for consent in consents
        if consent.content_hash == content_hash and is_active(consent, at) and consent.covers(channel_key)
    ]


def _chose(consent, channel_key):
    return channel_keys.in_keys(channel_key, consent.channels)


def _withdrew(consent, channel_key):
    return consent.withdrawn_at is not None or channel_keys.in_keys(channel_key, consent.withdrawn_channels)


def consents_of(page):
    """Every consent of the story ``page`` shows (an alias shows its original's), newest first."""
    from .models import Consent

    story_id = consent_story_id(page)
    if story_id is None:
        return []
    return list(Consent.objects.filter(story_id=story_id).order_by("-signed_at", "-pk"))


def coverage(page, channel_key, content_hash=None, *, consents=None, at=None, media=False):
    """May ``page`` go out on ``channel_key`` in version ``content_hash`` (default: the page as it is)?

    ``consents`` are the story's consents when the caller has them (all of them, also inactive
    ones, newest first); otherwise they are read in one query. With ``media=True`` a covering
    consent must also allow the photos and video the signed content shows (the website's rule).
    """
    if not is_consent_gated(page):
        return Coverage(NOT_GATED)
    if consent_story_id(page) is None:
        return Coverage(MISSING)
    if consents is None:
        consents = consents_of(page)
    if not consents:
        return Coverage(MISSING)
    if content_hash is None:
        from .content import content_hash as hash_of

        content_hash = hash_of(page)
    covering = tuple(covering_consents(consents, channel_key, content_hash, at))
    if covering:
        if not media:
            return Coverage(COVERED, covering[0], covering)
        from .content import media_not_allowed

        refused = [media_not_allowed(consent) for consent in covering]
        for consent, medium in zip(covering, refused, strict=True):
            if medium is None:
                return Coverage(COVERED, consent, covering)
        return Coverage(NO_PHOTOS if "photos" in refused else NO_VIDEO, covering=covering)
    active = [consent for consent in consents if is_active(consent, at)]
    for_channel = tuple(consent for consent in active if consent.covers(channel_key))
    if for_channel:
        return Coverage(CHANGED, other_version=for_channel)
    if any(_withdrew(consent, channel_key) for consent in consents if _chose(consent, channel_key)):
        return Coverage(WITHDRAWN)
    if not active:
        return Coverage(WITHDRAWN if any(consent.withdrawn_at for consent in consents) else EXPIRED)
    return Coverage(NOT_CHOSEN)


def website_covered(page, content_hash=None):
    """The gate's question: may ``page`` go live on the website in this version, with its media?"""
    return coverage(page, channel_keys.WEBSITE, content_hash, media=True).code == COVERED
