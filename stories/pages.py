"""The story page types: what every story has, the patient story and the organisation story.

Themes, departments and storytellers are in ``stories.snippets``, the index in ``stories.index``;
``stories.models`` gathers them for Django.
"""

from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.images.models import Filter
from wagtail.models import Orderable, Page, PageManager, PageQuerySet
from wagtail.search import index

from channels.mixins import SyndicatedPageMixin
from channels.panels import StoryPageForm, syndication_panels
from consent.gate import ConsentGatedPageMixin
from consent.naming import Naming
from core.page_forms import NoHiddenInitialMixin

from .blocks import StoryBodyBlock
from .choosers import FilteredCheckboxSelectMultiple, StoryLocaleChoicesMixin
from .neighbours import next_story
from .reading import reading_minutes
from .related import related_stories
from .snippets import Department, Person, Theme, display_name, in_locale

STORIES_PER_PAGE = 12

# Renditions every listing and story page uses, in the exact filter specs that the templates'
# {% picture %} tags expand to; prefetched together so a page of cards is a constant number of
# queries however many stories it shows.
CARD_IMAGE_SPEC = "format-{avif,webp,jpeg}|fill-{480x320,960x640}"
HERO_IMAGE_SPEC = "format-{avif,webp,jpeg}|fill-{800x450,1600x900}"
SOCIAL_IMAGE_SPEC = "fill-1200x630|format-jpeg"
CARD_RENDITIONS = tuple(Filter.expand_spec(CARD_IMAGE_SPEC))
HERO_RENDITIONS = (*Filter.expand_spec(HERO_IMAGE_SPEC), SOCIAL_IMAGE_SPEC)


class StoryTag(TaggedItemBase):
    content_object = ParentalKey("stories.StoryPage", related_name="tagged_items", on_delete=models.CASCADE)


class StoryPageQuerySet(PageQuerySet):
    def for_listing(self):
        """Everything a story card shows, fetched in a fixed number of queries."""
        image_model = get_image_model()
        return (
            self.defer_streamfields()
            .select_related("hero_image", "department", "locale")
            .prefetch_related(
                Prefetch(
                    "hero_image",
                    queryset=image_model.objects.prefetch_renditions(*CARD_RENDITIONS),
                ),
                "themes",
            )
        )

    def newest_first(self):
        return self.order_by("-date", "-first_published_at", "-pk")


StoryPageManager = PageManager.from_queryset(StoryPageQuerySet)


def story_edit_handler(content_panels):
    """Wagtail's three tabs plus "Sharing" (the syndication plan and reach, from ``channels``)."""
    return TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
            ObjectList(syndication_panels(), heading=_("Sharing")),
        ]
    )


SUPPORT_BOX_HOOK = "vertel_story_support_box"


def support_box(request, page):
    """The "if this story touched you" box: ``{"title", "text"}`` from the first hook that fills one in.

    Each hook is called with the request and the story page, whose language the box speaks. The
    organisation writes one per language (``website.story_hooks`` answers); without an answer the
    box is left out.
    """
    from wagtail import hooks

    for fn in hooks.get_hooks(SUPPORT_BOX_HOOK):
        box = fn(request, page)
        if box and (box.get("title") or box.get("text")):
            return box
    return None


class StoryEditorForm(StoryLocaleChoicesMixin, NoHiddenInitialMixin, StoryPageForm):
    """The story editor's form, comparing ``date`` (default: today) with the page, not a hidden input.

    Themes and department are chosen from the page's own locale (``stories.choosers``).
    """


class StoryPage(SyndicatedPageMixin, Page):
    """What every story has in common. Not created directly: choose a patient or organisation story.

    The shared fields live on one table so the index, search and feeds can list both story types
    in one query.
    """

    date = models.DateField(_("story date"), default=timezone.localdate)
    summary = models.TextField(
        _("summary"), max_length=500, help_text=_("One or two sentences; also the default text of social posts.")
    )
    hero_image = models.ForeignKey(
        get_image_model(),
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_image_alt = models.CharField(
        _("hero image alt text"),
        max_length=250,
        blank=True,
        help_text=_("Required with a hero image: describe it for people who cannot see it."),
    )
    body = StreamField(StoryBodyBlock(), verbose_name=_("body"), blank=True)
    themes = ParentalManyToManyField(Theme, verbose_name=_("themes"), blank=True, related_name="stories")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department or location"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
    )
    tags = ClusterTaggableManager(through=StoryTag, blank=True, verbose_name=_("tags"))
    content_note = models.CharField(
        _("content note"),
        max_length=200,
        blank=True,
        help_text=_("Shown before the story, e.g. 'This story is about palliative care.'"),
    )

    objects = StoryPageManager()
    base_form_class = StoryEditorForm

    is_creatable = False
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
        index.FilterField("locale_id"),
        index.RelatedFields("themes", [index.SearchField("name")]),
    ]

    content_panels = Page.content_panels + [
        FieldPanel("date"),
        FieldPanel("summary"),
        MultiFieldPanel([FieldPanel("hero_image"), FieldPanel("hero_image_alt")], heading=_("Hero image")),
        FieldPanel("content_note"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("themes", widget=FilteredCheckboxSelectMultiple),
                FieldPanel("department"),
                FieldPanel("tags"),
            ],
            heading=_("Classification"),
        ),
        InlinePanel("related_stories", label=_("Related stories"), max_num=4),
    ]

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def save(self, *args, **kwargs):
        # A patient story saved as a StoryPage, e.g. with update_fields=["themes"], which Django's
        # pre_save never sees: the consent gate checks it here (see consent.gate).
        from consent.gate import check_save_through_parent_class

        self._consent_gate_checked = check_save_through_parent_class(self, kwargs.get("update_fields"))
        try:
            return super().save(*args, **kwargs)
        finally:
            self._consent_gate_checked = False

    def clean(self):
        super().clean()
        if self.hero_image_id and not self.hero_image_alt.strip():
            raise ValidationError({"hero_image_alt": _("Describe the hero image for people who cannot see it.")})

    @property
    def story_type(self):
        """``patient`` or ``organisation``, without loading the specific page."""
        return STORY_TYPE_BY_MODEL.get(self.specific_class, "") if self.specific_class else ""

    @property
    def story_type_label(self):
        return self.specific_class._meta.verbose_name if self.specific_class else ""

    def get_storyteller_name(self):
        """The storyteller's name as it may be shown; overridden by patient stories."""
        return ""

    @cached_property
    def localized_themes(self):
        return [theme.localized for theme in self.themes.all()]

    @cached_property
    def localized_department(self):
        """The department in the page's language (its translation), for the page and the admin."""
        return in_locale(self.department, self.locale_id) if self.department_id else None

    def get_related_stories(self):
        """The related box: chosen, else same theme, else same department, else newest (``stories.related``)."""
        return related_stories(self, StoryPage)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if self.hero_image_id:
            # One query for the image and its renditions instead of one per rendition.
            self.hero_image = (
                get_image_model().objects.prefetch_renditions(*HERO_RENDITIONS).filter(pk=self.hero_image_id).first()
            )
        context["related"] = self.get_related_stories()
        ancestors = list(self.get_ancestors().filter(depth__gt=1))
        context["next_story"] = next_story(self, StoryPage, parent=ancestors[-1] if ancestors else None)
        context["reading_minutes"] = reading_minutes(self)
        context["breadcrumbs"] = self.get_breadcrumbs(request, ancestors)
        context["support"] = support_box(request, self)
        return context

    def get_breadcrumbs(self, request=None, ancestors=None):
        """``(title, url)`` from the home page down to this story, a theme between index and story.

        Home › Stories › Theme › title: the first theme (in this page's language) filters the index.
        """
        from django.utils.translation import gettext

        crumbs = []
        index_url = ""
        if ancestors is None:
            ancestors = self.get_ancestors().filter(depth__gt=1)
        for ancestor in ancestors:
            url = ancestor.get_url(request=request) or ""
            crumbs.append((gettext("Home") if ancestor.depth == 2 else ancestor.title, url))
            index_url = url
        themes = self.localized_themes
        if themes and index_url:
            crumbs.append((themes[0].name, f"{index_url}?theme={quote(themes[0].slug)}"))
        crumbs.append((self.title, self.get_url(request=request) or ""))
        return crumbs


class RelatedStory(Orderable):
    page = ParentalKey(StoryPage, related_name="related_stories", on_delete=models.CASCADE)
    story = models.ForeignKey(StoryPage, verbose_name=_("story"), related_name="+", on_delete=models.CASCADE)

    panels = [FieldPanel("story")]


class PatientStoryPage(ConsentGatedPageMixin, StoryPage):
    """A patient's own story, told with their signed consent.

    The storyteller is a person record, never free text in the body, so erasure and naming work
    in one place. ``naming`` is set by the signed consent, not by the editor's wish.
    """

    storyteller = models.ForeignKey(
        Person,
        verbose_name=_("storyteller"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
    )
    naming = models.CharField(
        _("how the storyteller is named"),
        max_length=20,
        choices=Naming.choices,
        default=Naming.ANONYMOUS,
    )

    template = "stories/story_page.html"
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    content_panels = (
        StoryPage.content_panels[:1]
        + [
            MultiFieldPanel([FieldPanel("storyteller"), FieldPanel("naming")], heading=_("Storyteller")),
        ]
        + StoryPage.content_panels[1:]
    )
    edit_handler = story_edit_handler(content_panels)

    class Meta:
        verbose_name = _("patient story")
        verbose_name_plural = _("patient stories")

    def get_storyteller_name(self):
        return display_name(self.storyteller, self.naming)


class OrganisationStoryPage(StoryPage):
    """A story the organisation tells about itself: news, innovation, behind the scenes, vacancies."""

    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        INNOVATION = "innovation", _("Innovation")
        BEHIND_THE_SCENES = "behind_the_scenes", _("Behind the scenes")
        VACANCY = "vacancy", _("Vacancy")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.NEWS)

    template = "stories/story_page.html"
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    content_panels = StoryPage.content_panels[:1] + [FieldPanel("kind")] + StoryPage.content_panels[1:]
    edit_handler = story_edit_handler(content_panels)

    class Meta:
        verbose_name = _("organisation story")
        verbose_name_plural = _("organisation stories")


STORY_TYPE_CHOICES = [("patient", _("Patient stories")), ("organisation", _("Organisation stories"))]
STORY_TYPE_BY_MODEL = {PatientStoryPage: "patient", OrganisationStoryPage: "organisation"}
MODEL_BY_STORY_TYPE = {value: key for key, value in STORY_TYPE_BY_MODEL.items()}
