"""Why a post comes off its channel: the reasons a removal records, and which one wins.

Several triggers may ask for the same removal (a withdrawal unpublishes the story and then tells
the channels); the evidence log records the strongest reason (``REASON_RANK``: withdrawn, expired
and erased above deleted above unpublished above the editor's), whatever order they arrived in,
and :func:`consent_reason` reads from the consent rows whether a consent was taken back.
"""

# The reason of the editor's "remove everywhere": remembered per channel (``ChannelRemoval``).
EDITOR_REASON = "editor"
# Which reason a removal records when several triggers race: the strongest wins.
REASON_RANK = {"withdrawn": 3, "expired": 3, "erased": 3, "deleted": 2, "unpublished": 1, EDITOR_REASON: 0}
CONSENT_REASONS = {"withdrawn", "expired", "erased"}


def stronger_reason(current, new):
    """The stronger of two retraction reasons (``REASON_RANK``); ``current`` on a tie."""
    if not current:
        return new
    if not new:
        return current
    return new if REASON_RANK.get(new, 0) > REASON_RANK.get(current, 0) else current


def consent_reason(dispatch):
    """ "withdrawn", "expired" or "erased" when a consent that covered this post was taken back and
    no valid consent covers it now; else "". Read from the consent rows and their evidence, so a
    removal triggered by the unpublishing a withdrawal causes still records the withdrawal."""
    if not dispatch.patient_story_id:
        return ""
    from consent.models import Consent, ConsentEvent

    key = dispatch.channel_key
    consents = list(
        Consent.objects.filter(story_id=dispatch.patient_story_id).only(
            "pk", "content_hash", "channels", "withdrawn_channels", "withdrawn_at", "erased_at", "valid_until"
        )
    )
    if any(c.is_active and c.content_hash == dispatch.content_hash and c.covers(key) for c in consents):
        return ""
    taken_back = [c.pk for c in consents if not c.is_active or not c.covers(key)]
    if not taken_back:
        return ""
    event = (
        ConsentEvent.objects.filter(
            consent_id__in=taken_back,
            kind__in=[ConsentEvent.Kind.WITHDRAWN, ConsentEvent.Kind.EXPIRED, ConsentEvent.Kind.ERASED],
        )
        .order_by("-sequence")
        .first()
    )
    if event is None:
        return ""
    reason = (event.data or {}).get("reason") or event.kind
    return reason if reason in CONSENT_REASONS else "withdrawn"
