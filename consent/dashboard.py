"""The consent panel of the Wagtail dashboard: what needs an editor's attention, story by story.

Four lists, each of at most ``LIMIT`` stories, in one of Wagtail's dashboard panels (its ``panel``
component, its dashboard tables): signed and ready to publish (an active consent covers the
latest revision and that revision is not live yet), waiting for a signature, ending within
``VERTEL["CONSENT_EXPIRY_WARNING_DAYS"]`` days, and withdrawn (or ended) in the last 30 days. Each
story links to its edit page; nothing of the signer is shown, only what the story editor sees.
"""

import datetime

from django.utils import timezone
from wagtail.admin.ui.components import Component

from .models import Consent, ConsentRequest
from .policy import website_covered
from .states import warning_days

LIMIT = 10
RECENT_DAYS = 30


def ready_to_publish(limit=LIMIT):
    """Stories whose latest revision an active consent covers and that are not live in it yet."""
    found, seen = [], set()
    consents = (
        Consent.objects.active()
        .filter(story__isnull=False)
        .select_related("story", "story__latest_revision")
        .order_by("-signed_at")
    )
    for consent in consents[: limit * 5]:
        story = consent.story
        if story.pk in seen or (story.live and not story.has_unpublished_changes):
            continue
        seen.add(story.pk)
        if website_covered(story.get_latest_revision_as_object()):
            found.append(consent)
        if len(found) >= limit:
            break
    return found


class ConsentOverviewPanel(Component):
    """Signed and ready, waiting for a signature, ending soon, recently withdrawn."""

    name = "consent_overview"
    template_name = "consent/admin/home_panel.html"
    order = 150

    def get_context_data(self, parent_context):
        now = timezone.now()
        days = warning_days()
        return {
            "ready": ready_to_publish(),
            "pending": ConsentRequest.objects.filter(status=ConsentRequest.Status.PENDING, expires_at__gt=now)
            .select_related("story")
            .order_by("-created_at")[:LIMIT],
            "expiring": Consent.objects.active()
            .filter(valid_until__lte=now + datetime.timedelta(days=days))
            .select_related("request", "story")
            .order_by("valid_until")[:LIMIT],
            "withdrawn": Consent.objects.filter(withdrawn_at__gte=now - datetime.timedelta(days=RECENT_DAYS))
            .select_related("request", "story")
            .order_by("-withdrawn_at")[:LIMIT],
            "days": days,
            "recent_days": RECENT_DAYS,
        }
