"""The home page and the organisation's site-wide settings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Page
from wagtail.search import index

from core.page_forms import PageForm


class HomePage(Page):
    """The front page of one language: an introduction and the newest stories."""

    intro = models.TextField(_("introduction"), blank=True)
    featured_count = models.PositiveSmallIntegerField(_("number of newest stories shown"), default=6)
    featured_story = models.ForeignKey(
        "stories.StoryPage",
        verbose_name=_("featured story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown large at the top while it is live; without one, the newest story is featured."),
    )

    base_form_class = PageForm

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["stories.StoryIndexPage", "website.StandardPage"]
    max_count_per_parent = None

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        PageChooserPanel("featured_story", ["stories.PatientStoryPage", "stories.OrganisationStoryPage"]),
        FieldPanel("featured_count"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("home page")

    def get_story_index(self):
        from stories.models import StoryIndexPage

        return StoryIndexPage.objects.child_of(self).live().first()

    def get_context(self, request, *args, **kwargs):
        from stories.models import StoryPage

        context = super().get_context(request, *args, **kwargs)
        context["story_index"] = self.get_story_index()
        # Only live, public stories of this language: a patient story is live only while a consent
        # covers it, and a withdrawal unpublishes it and purges every home page (website.cache).
        stories = StoryPage.objects.live().public().descendant_of(self).for_listing().newest_first()
        newest = list(stories[: self.featured_count + 1])
        featured = None
        if self.featured_story_id:
            featured = next((story for story in newest if story.pk == self.featured_story_id), None)
            if featured is None:
                featured = stories.filter(pk=self.featured_story_id).first()
        if featured is None and newest:
            featured = newest[0]
        context["featured_story"] = featured
        context["latest_stories"] = [story for story in newest if story != featured][: self.featured_count]
        return context


class StandardPage(Page):
    """A plain content page: about us, privacy statement, contact."""

    body = models.TextField(_("body"), blank=True)

    base_form_class = PageForm

    parent_page_types = ["website.HomePage"]
    subpage_types = []
    content_panels = Page.content_panels + [FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


@register_setting(icon="site")
class OrganisationSettings(BaseSiteSetting):
    """Who publishes: shown in the footer, feeds, emails and the consent texts."""

    organisation_name = models.CharField(_("organisation name"), max_length=200, default="Vertel")
    contact_email = models.EmailField(_("contact email"), blank=True)
    privacy_contact = models.CharField(
        _("privacy contact"), max_length=200, blank=True, help_text=_("Who to contact about personal data.")
    )
    privacy_statement_url = models.URLField(_("privacy statement address"), blank=True)

    panels = [
        FieldPanel("organisation_name"),
        FieldPanel("contact_email"),
        FieldPanel("privacy_contact"),
        FieldPanel("privacy_statement_url"),
    ]

    class Meta:
        verbose_name = _("organisation")
