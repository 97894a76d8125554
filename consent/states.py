"""A story's consent state in one word, for many stories at once: pending, signed, expiring, withdrawn.

The page explorer's consent column and the dashboard ask ``story_states(ids)``, which reads every
story's consents and open requests in two queries, whatever the number of stories. The state is
the editor's summary, not the publishing decision (that is ``consent.policy.coverage``): a story
is *signed* while an active consent exists, *expiring* when that consent ends within
``VERTEL["CONSENT_EXPIRY_WARNING_DAYS"]``, *pending* while only a request waits for a signature,
and *withdrawn* when its last consent was withdrawn (or ended) and nothing replaces it.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Consent, ConsentRequest

PENDING = "pending"
SIGNED = "signed"
EXPIRING = "expiring"
WITHDRAWN = "withdrawn"

LABELS = {
    PENDING: _("Waiting for a signature"),
    SIGNED: _("Signed"),
    EXPIRING: _("Expiring"),
    WITHDRAWN: _("Withdrawn"),
}


def warning_days():
    return settings.VERTEL["CONSENT_EXPIRY_WARNING_DAYS"]


def story_states(story_ids, at=None):
    """``{story id: state}`` for the stories in ``story_ids`` that have a consent or a request (2 queries)."""
    ids = {story_id for story_id in story_ids if story_id is not None}
    if not ids:
        return {}
    at = at or timezone.now()
    horizon = at + datetime.timedelta(days=warning_days())
    states = {}
    consents = Consent.objects.filter(story_id__in=ids).values_list(
        "story_id", "valid_until", "withdrawn_at", "erased_at"
    )
    for story_id, valid_until, withdrawn_at, erased_at in consents:
        states.setdefault(story_id, set()).add(_consent_state(valid_until, withdrawn_at or erased_at, at, horizon))
    pending = ConsentRequest.objects.filter(
        story_id__in=ids, status=ConsentRequest.Status.PENDING, expires_at__gt=at
    ).values_list("story_id", flat=True)
    for story_id in pending:
        states.setdefault(story_id, set()).add(PENDING)
    return {story_id: _summary(found) for story_id, found in states.items()}


def _consent_state(valid_until, ended_at, at, horizon):
    """One consent's state; the same rule as ``Consent.is_active_at`` (``consent.models.active_q``)."""
    if ended_at is not None or (valid_until is not None and valid_until <= at):
        return WITHDRAWN
    if valid_until is not None and valid_until <= horizon:
        return EXPIRING
    return SIGNED


def _summary(found):
    """One state for a story: an active consent first, then an open request, then a withdrawal."""
    for state in (SIGNED, EXPIRING, PENDING, WITHDRAWN):
        if state in found:
            return state
    return None
