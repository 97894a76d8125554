"""A story's syndication plan: which channels it may use, and what each planned post will be.

Shared by the plan panel in the story editor (availability, live counter, preview), the page
form's validation, and anyone who builds the :class:`~channels.adapters.base.Post` of a plan.

Availability: organisation stories need no consent; a patient story may plan a channel only when
its consent covers it. A plan drafted before any consent exists is allowed (it is only sent once
a consent covers the channel: the dispatcher checks again right before sending); a plan for a
channel that a signed consent leaves out, or that the signer withdrew, is refused.
"""

from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent import policy
from consent.content import effective_image, effective_text  # what a post says is part of what is signed
from consent.policy import consents_of, coverage
from core import channel_keys

from . import adapters
from .adapters.base import Media, Post
from .links import link_for_account
from .mixins import is_consent_gated

# Reasons a channel cannot be planned. Those in BLOCKING refuse the save; the others let the
# editor draft the plan, which waits until the consent covers the channel.
NO_CONSENT = "no_consent"
NOT_COVERED = "not_covered"
WITHDRAWN = "withdrawn"
EXPIRED = "expired"
CHANGED = "changed"
INACTIVE = "inactive"
TOKEN_EXPIRED = "token_expired"  # noqa: S105 (a reason code, not a secret)
UNKNOWN_NETWORK = "unknown_network"
BLOCKING = {NOT_COVERED, WITHDRAWN}

# Image sent with a post: the same rendition as the story's Open Graph image.
POST_IMAGE_SPEC = "fill-1200x630|format-jpeg"

# Stand-ins used to learn how an adapter composes text and link (see ``compose_template``).
_TEXT_MARK = "\ue000TEXT\ue000"
_LINK_MARK = "\ue001LINK\ue001"


@dataclass(frozen=True)
class Availability:
    """Whether ``account`` can be planned for a story, and if not, why (a sentence for editors).

    Unpacks as ``(account, available, reason)``; ``code`` is one of the constants above.
    """

    account: object
    available: bool
    reason: str = ""
    code: str = ""

    def __iter__(self):
        return iter((self.account, self.available, self.reason))

    @property
    def blocking(self):
        """True when a plan for this channel must not even be saved."""
        return self.code in BLOCKING


def is_patient_story(page):
    """True when a consent must cover ``page`` (a consent-gated page: a patient story)."""
    return is_consent_gated(page)


def account_state_problem(account, now=None):
    """``(code, reason)`` when the account itself cannot post, else None."""
    now = now or timezone.now()
    from .models import ChannelAccount

    if not account.active:
        return INACTIVE, _("The account %(name)s is inactive.") % {"name": account.name}
    expired = account.status in (ChannelAccount.Status.EXPIRED, ChannelAccount.Status.ERROR) or (
        account.token_expires_at is not None and account.token_expires_at <= now
    )
    if expired:
        return TOKEN_EXPIRED, _("The token of %(name)s has expired: reconnect the account.") % {"name": account.name}
    if account.kind not in adapters.adapter_classes():
        return UNKNOWN_NETWORK, _("No adapter is installed for this network.")
    return None


def network_label(account):
    cls = adapters.adapter_classes().get(account.kind)
    return str(cls.label) if cls else account.kind


def channel_availability(page, accounts=None, content_hash=None):
    """A list of :class:`Availability`, one per channel account, for ``page``.

    ``content_hash`` defaults to the hash of the story's latest revision (what the editor is
    working on); a consent for an earlier version does not cover the channel until re-signed.
    """
    from .models import ChannelAccount

    accounts = list(ChannelAccount.objects.all() if accounts is None else accounts)
    now = timezone.now()
    patient = is_patient_story(page)
    consents = []
    if patient and page.pk:
        consents = consents_of(page)
        if content_hash is None and consents:
            content_hash = latest_content_hash(page)
    result = []
    for account in accounts:
        problem = account_state_problem(account, now)
        if problem:
            result.append(Availability(account, False, problem[1], problem[0]))
        elif not patient:
            result.append(Availability(account, True, _("Organisation stories need no consent.")))
        else:
            result.append(_consent_availability(page, account, consents, content_hash, now))
    return result


def latest_content_hash(page):
    from consent.content import content_hash

    latest = page.get_latest_revision_as_object() if page.pk else page
    return content_hash(latest)


def _consent_availability(page, account, consents, content_hash, now):
    """What ``consent.policy.coverage`` says of ``account``'s channel, in the plan panel's words."""
    answer = coverage(page, account.channel_key, content_hash, consents=consents, at=now)
    label = network_label(account)
    if answer.code == policy.MISSING:
        return Availability(
            account,
            False,
            _("No signed consent yet: the post will only be sent once a consent covers %(channel)s.")
            % {"channel": account.name},
            NO_CONSENT,
        )
    if answer.ok:
        return Availability(account, True, _("Covered by the signed consent."))
    if answer.code == policy.CHANGED:
        return Availability(
            account,
            False,
            _("The story changed after signing: the post goes out once the new version is signed."),
            CHANGED,
        )
    if answer.code == policy.WITHDRAWN and any(
        account.channel_key in consent.channels or channel_keys.SOCIAL in consent.channels for consent in consents
    ):
        return Availability(
            account, False, _("Consent was withdrawn for %(channel)s.") % {"channel": label}, WITHDRAWN
        )
    if answer.code == policy.WITHDRAWN:
        return Availability(account, False, _("Consent was withdrawn."), WITHDRAWN)
    if answer.code == policy.EXPIRED:
        return Availability(account, False, _("The consent has expired: a new signature is needed."), EXPIRED)
    return Availability(
        account,
        False,
        _("The consent does not include %(channel)s.") % {"channel": f"{label} ({account.name})"},
        NOT_COVERED,
    )


# -- composing -------------------------------------------------------------------------------


def story_link(page, account, campaign="", *, slug=None, parent=None):
    """The UTM-tagged link back to the story; usable for a page not saved yet (given its parent)."""
    if page.pk and page.url_path and page.get_full_url():
        return link_for_account(page, account, campaign)
    # A story being created has no URL yet: build the one it will have below its parent.
    from urllib.parse import urlencode

    from .links import absolute_url, medium_for_account, source_for_account

    base = absolute_url(parent) if parent is not None else ""
    base = (base or "/").rstrip("/") + f"/{slug or page.slug or ''}/"
    query = urlencode(
        {
            "utm_source": source_for_account(account),
            "utm_medium": medium_for_account(account),
            "utm_campaign": campaign or slug or page.slug,
        }
    )
    return f"{base}?{query}"


def image_media(image, alt):
    """The :class:`Media` a post carries for ``image``: the JPEG rendition networks are sent."""
    rendition = image.get_rendition(POST_IMAGE_SPEC)
    with rendition.file.open("rb") as handle:
        data = handle.read()
    return Media(
        data=data,
        content_type="image/jpeg",
        filename=f"story-{image.pk}.jpg",
        alt=alt,
        url=rendition.full_url,
        width=rendition.width,
        height=rendition.height,
    )


def build_post(plan, page=None, *, with_media=True):
    """The :class:`Post` of a saved plan on ``page`` (default: the plan's page)."""
    page = page or plan.page
    image, alt = effective_image(plan.image, plan.image_alt, page.hero_image, page.hero_image_alt)
    return Post(
        text=effective_text(plan.text, page.summary, page.title),
        link=story_link(page, plan.account, plan.utm_campaign),
        title=page.title,
        summary=page.summary,
        language=page.locale.language_code if page.locale_id else "nl",
        media=[image_media(image, alt)] if (image is not None and with_media) else [],
    )


def compose_template(adapter):
    """How ``adapter`` joins text and link, as a template with ``{text}`` and ``{link}``.

    The plan panel's script fills it in as the editor types, so the live count uses the very
    composition the adapter sends. Adapters that keep the link out of the text (a link card)
    give a template without ``{link}``.
    """
    composed = adapter.compose(Post(text=_TEXT_MARK, link=_LINK_MARK))
    return composed.replace("{", "{{").replace("}", "}}").replace(_TEXT_MARK, "{text}").replace(_LINK_MARK, "{link}")


def account_spec(account, page, *, slug=None, parent=None, campaign=""):
    """What the plan panel's script needs to count and preview a post on ``account``."""
    cls = adapters.adapter_classes().get(account.kind)
    if cls is None:
        return None
    adapter = cls(account)
    limits = adapter.limits
    return {
        "id": account.pk,
        "name": account.name,
        "network": str(cls.label),
        "kind": account.kind,
        "max_chars": limits.max_chars,
        "counted_as": limits.counted_as,
        "unit": str(limits.unit_label),
        "url_weight": limits.url_weight,
        "max_media": limits.max_media,
        "requires_media": limits.requires_media,
        "template": compose_template(adapter),
        "link": story_link(page, account, campaign, slug=slug, parent=parent),
    }


def plan_problems(account, *, text, summary, link, image, image_alt, hero_image=None, hero_image_alt=""):
    """Problems of one planned post, keyed by the plan field they belong to.

    Uses the adapter's own ``validate`` (length as the network counts it, media rules, alt
    text), so the editor hears what the network would refuse before anything is sent.
    """
    cls = adapters.adapter_classes().get(account.kind)
    if cls is None:
        return {"account": [_("No adapter is installed for this network.")]}
    adapter = cls(account)
    problems = {}
    if image is not None and not (image_alt or "").strip():
        # An image chosen for the post must be described, whatever the network demands.
        problems.setdefault("image_alt", []).append(_("Describe the image for people who cannot see it."))
    post_image, alt = effective_image(image, image_alt, hero_image, hero_image_alt)
    media = []
    if post_image is not None:
        try:
            media = [image_media(post_image, alt)]
        except (OSError, ValueError):
            problems.setdefault("image", []).append(_("The image file cannot be read; choose another image."))
    # Sort the adapter's messages by the field that fixes them, without parsing (translated)
    # wording: a message that goes away with a one-letter text is about the text; one that goes
    # away once the image is described is about the alt text; the rest are about the image.
    found = [
        str(problem) for problem in adapter.validate(Post(text=effective_text(text, summary), link=link, media=media))
    ]
    media_only = {str(problem) for problem in adapter.validate(Post(text="x", link="", media=media))}
    described = [replace(item, alt=item.alt or "x") for item in media]
    with_alt = {str(problem) for problem in adapter.validate(Post(text="x", link="", media=described))}
    for message in found:
        if message not in media_only:
            field = "text"
        elif message not in with_alt:
            field = "image_alt"
            if "image_alt" in problems:
                continue
        else:
            field = "image"
        problems.setdefault(field, []).append(message)
    return problems
