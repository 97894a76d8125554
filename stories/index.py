"""The story index: lists the stories below it, filterable by theme, tag and story type.

Its ``get_cached_paths()`` names every address of it a CDN may keep, so a purge
(``website.cache``) reaches each filter and page number.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page
from wagtail.search import index

from core.page_forms import PageForm

from .pages import MODEL_BY_STORY_TYPE, STORIES_PER_PAGE, STORY_TYPE_CHOICES, StoryPage
from .snippets import Theme


class StoryIndexPage(Page):
    """Lists the stories below it, newest first, filterable by theme, tag and story type."""

    intro = models.TextField(_("introduction"), blank=True)

    base_form_class = PageForm
    parent_page_types = ["website.HomePage"]
    subpage_types = ["stories.PatientStoryPage", "stories.OrganisationStoryPage"]
    max_count_per_parent = 1

    content_panels = Page.content_panels + [FieldPanel("intro")]

    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = _("story index")

    def get_stories(self):
        return StoryPage.objects.child_of(self).live().public()

    def get_cached_paths(self):
        """The index's address and every variant a CDN may keep (``website.cache_middleware.shared_query``).

        One filter at a time (each story type, theme and tag) and every page number, one page more
        than the stories fill (a withdrawal can take the last page away). Every tag is listed, used
        or not: a tag an editor just took off the last story still has a page in the CDN that shows
        that story. Combinations of filters are never kept by a CDN, so they are not listed.
        """
        variants = [f"type={key}" for key in MODEL_BY_STORY_TYPE]
        variants += [f"theme={slug}" for slug in Theme.objects.values_list("slug", flat=True).distinct()]
        variants += [f"tag={slug}" for slug in Tag.objects.values_list("slug", flat=True) if slug]
        pages_count = max(1, -(-self.get_stories().count() // STORIES_PER_PAGE)) + 1
        variants += [f"page={number}" for number in range(1, pages_count + 1)]
        return ["/", *(f"?{variant}" for variant in variants)]

    def filter_stories(self, params, stories=None, skip=()):
        """Apply the filters in ``params`` (a QueryDict); return the queryset and the active filters.

        ``skip``: filters to leave out of the queryset (still reported as active), so the counts of
        one filter can respect all the others.
        """
        stories = self.get_stories() if stories is None else stories
        active = {}
        theme = (params.get("theme") or "").strip()
        if theme:
            active["theme"] = theme
            if "theme" not in skip:
                stories = stories.filter(themes__slug=theme)
        tag = (params.get("tag") or "").strip()
        if tag:
            active["tag"] = tag
            if "tag" not in skip:
                stories = stories.filter(tags__slug=tag)
        story_type = (params.get("type") or "").strip()
        if story_type in MODEL_BY_STORY_TYPE:
            active["type"] = story_type
            if "type" not in skip:
                stories = stories.type(MODEL_BY_STORY_TYPE[story_type])
        return stories, active

    def get_filter_counts(self, base=None, params=None):
        """Counts of live stories per theme and per story type, for the filter menu.

        With ``params`` each count respects the other active filters: the theme counts are those of
        the chosen story type and tag, the type counts those of the chosen theme and tag, so a count
        says how many stories the link leads to. The active theme stays listed, counted 0 if need be.

        Themes are counted by slug, which is the same in every language, so a translated story
        that still links the original language's theme is counted under this language's theme.
        """
        base = self.get_stories() if base is None else base
        params = {} if params is None else params
        for_themes, active = self.filter_stories(params, base, skip=("theme",))
        for_types, _active = self.filter_stories(params, base, skip=("type",))
        by_slug = {
            row["themes__slug"]: row["count"]
            for row in for_themes.exclude(themes=None)
            .order_by()
            .values("themes__slug")
            .annotate(count=Count("pk", distinct=True))
        }
        slugs = {*by_slug, *([active["theme"]] if "theme" in active else [])}
        themes = list(Theme.objects.filter(locale_id=self.locale_id, slug__in=slugs).order_by("name"))
        for theme in themes:
            theme.count = by_slug.get(theme.slug, 0)
        by_content_type = dict(
            for_types.order_by().values_list("content_type_id").annotate(count=Count("pk", distinct=True))
        )
        type_counts = {
            story_type: by_content_type.get(ContentType.objects.get_for_model(model).pk, 0)
            for story_type, model in MODEL_BY_STORY_TYPE.items()
        }
        return themes, type_counts

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # ``public()`` costs a query; work it out once for the listing and the counts.
        base = self.get_stories()
        stories, active = self.filter_stories(request.GET, base)
        themes, type_counts = self.get_filter_counts(base, request.GET)
        paginator = Paginator(stories.for_listing().newest_first(), STORIES_PER_PAGE)
        # The type counts respect every other filter, so they tell how many stories the active
        # filters leave (every story is of one type): spare the count query.
        paginator.count = type_counts.get(active["type"], 0) if "type" in active else sum(type_counts.values())
        try:
            page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        context.update(
            {
                "stories": page,
                "paginator": paginator,
                "active_filters": active,
                "themes": themes,
                "type_counts": type_counts,
                "story_types": STORY_TYPE_CHOICES,
            }
        )
        return context
