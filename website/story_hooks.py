"""What the website tells the story pages through Wagtail hooks: the organisation's support box.

``stories`` sits below ``website`` and may not import it, so a story page asks the
``vertel_story_support_box`` hook (``stories.pages.support_box``). The settings row is read, never
created: Wagtail's settings context would create a missing row while a page renders, and saving the
settings purges the whole page cache. The support fields are read with ``getattr`` so the story page
works before ``OrganisationSettings`` has them.
"""

from wagtail import hooks
from wagtail.models import Site


@hooks.register("vertel_story_support_box")
def support_box(request):
    from .models import OrganisationSettings

    site = Site.find_for_request(request) if request is not None else None
    rows = OrganisationSettings.objects.all()
    row = (rows.filter(site=site) if site else rows.filter(site__is_default_site=True)).first()
    return {
        "title": getattr(row, "support_title", "") or "",
        "text": getattr(row, "support_text", "") or "",
    }
