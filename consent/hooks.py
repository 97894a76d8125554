"""What consent asks of the apps above it, through Wagtail hooks (see docs/architecture.md).

Consent never imports the apps that publish a story. Where it needs something only they know, it
calls the functions below, which gather the answers of every function registered for the hook with
``wagtail.hooks.register``. A hook nobody registered gives an empty answer, so consent works on its
own: the signing page then offers no channel and shows no planned post.

``vertel_consent_channel_choices`` (``CHANNEL_CHOICES_HOOK``)
    ``fn()`` returns ``(key, label)`` pairs: the channels a signer can choose, in display order.
    Keys are ``website``, ``newsletter``, ``social`` (every social account) or ``account:<id>``.
    Registered by ``channels.consent_hooks``.

``vertel_consent_post_previews`` (``POST_PREVIEWS_HOOK``)
    ``fn(story, posts)`` gets the story (a page or a revision's object) and its planned posts as
    :func:`consent.content.planned_posts` gives them (what the signer consents to), and returns
    one preview per post it can show: a dict with ``channel`` (the post's channel key),
    ``account`` (has a ``name``), ``text`` (composed as the network will publish it), ``link``,
    ``link_in_text``, ``image`` and ``alt``. Registered by ``channels.consent_hooks``.
"""

from wagtail import hooks

CHANNEL_CHOICES_HOOK = "vertel_consent_channel_choices"
POST_PREVIEWS_HOOK = "vertel_consent_post_previews"


def channel_choices():
    """Every ``(key, label)`` a signer can choose, from every registered function, in hook order."""
    return [choice for fn in hooks.get_hooks(CHANNEL_CHOICES_HOOK) for choice in fn()]


def channel_labels():
    """``{key: label}`` of every channel a signer can choose (``channel_choices``)."""
    return dict(channel_choices())


def post_previews(story, posts):
    """The previews of ``posts`` (planned posts of ``story``), from every registered function."""
    if not posts:
        return []
    return [preview for fn in hooks.get_hooks(POST_PREVIEWS_HOOK) for preview in fn(story, posts)]
