"""The reach beacon: public, uncached, counts one read of a story that came from a channel.

The admin's "Reach by channel" report is ``channels.reach_report``.
"""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail.models import Page

from . import reach
from .mixins import SyndicatedPageMixin

MAX_ID_LENGTH = 12


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@never_cache
@require_POST
def reach_beacon(request):
    """Count one read of a story that arrived with ``utm_source`` (sent by ``navigator.sendBeacon``).

    Takes ``page`` (a live story's id) and ``source`` (a known channel kind) from the form body.
    Anything else is ignored with the same empty answer, so the beacon cannot be used to probe
    which pages exist; malformed input gets 400. No cookie, no session, nothing about the reader.
    """
    page_id = (request.POST.get("page") or "").strip()
    source = (request.POST.get("source") or "").strip().lower()
    if not page_id.isdigit() or len(page_id) > MAX_ID_LENGTH or not source or len(source) > 50:
        return _no_store(HttpResponse(status=400))
    if (
        source in reach.known_sources()
        and Page.objects.type(SyndicatedPageMixin).live().public().filter(pk=int(page_id)).exists()
    ):
        reach.record_read(int(page_id), source)
    return _no_store(HttpResponse(status=204))
