"""Rendering an issue: the consent gate, the email (rendered once, personal links substituted per
recipient) and the archive page's entries.

The email's CSS is written in a ``<style>`` block of the template and inlined with ``css_inline``,
because many mail clients drop ``<style>``. Images are absolute URLs of renditions, with alt text;
links to stories carry ``utm_source=newsletter&utm_medium=email`` and no personal identifier.
Links in the introduction are made absolute too (a mail has no address to be relative to), and
the plain-text part spells each link's address out after its text.
"""

import re
from dataclasses import dataclass
from email.utils import formataddr
from html.parser import HTMLParser

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

from channels.links import tracked_url
from core.channel_keys import NEWSLETTER
from core.organisation import organisation_name
from stories.sanitize import clean_html

# Placeholders for the per-recipient links; the token alphabet (urlsafe base64) needs no escaping.
UNSUBSCRIBE_PLACEHOLDER = "__VERTEL_UNSUBSCRIBE_URL__"
PREFERENCES_PLACEHOLDER = "__VERTEL_PREFERENCES_URL__"
EMAIL_IMAGE_SPEC = "fill-1200x630|format-jpeg"

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def absolute(url):
    return url if url.startswith(("http://", "https://")) else settings.BASE_URL + url


# href or src whose value is a site-relative path ("/nl/..."), not a protocol-relative "//host/...".
_RELATIVE_URL = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])(/(?!/)[^"']*)\2""", re.IGNORECASE)


def absolute_urls(html):
    """Every site-relative link and image address in ``html`` made absolute with ``BASE_URL``."""
    return _RELATIVE_URL.sub(lambda match: f"{match[1]}{match[2]}{settings.BASE_URL}{match[3]}{match[2]}", html)


class _TextWriter(HTMLParser):
    """Rich text as plain text: paragraphs apart, list items marked, each link followed by its address."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)  # entities such as &amp; become the characters they stand for
        self.out = []
        self.links = []
        self.lists = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.out.append("\n\n")
        if tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li":
            marker = "-"
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}."
            self.out.append(f"\n{'  ' * max(len(self.lists) - 1, 0)}{marker} ")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            address = href.removeprefix("mailto:")
            if href and not href.startswith("#") and address != text:
                self.out.append(f" ({address})")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data):
        self.out.append(re.sub(r"\s+", " ", data))

    def text(self):
        lines = [line.strip() for line in "".join(self.out).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html):
    """Plain text of rich-text HTML for the text part of an email (no HTML escapes left in it)."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


def consent_problem(story, language=None):
    """Why ``story`` cannot go into a newsletter now, as a sentence; ``None`` when it can."""
    from consent.policy import coverage

    if story is None:
        return _("the story was deleted")
    story = story.specific
    if not story.live:
        return _("it is not published")
    if language and story.locale.language_code[:2] != language:
        return _("it is not in the language of this issue")
    if not coverage(story, NEWSLETTER).ok:
        return _("its storyteller's consent does not cover the newsletter for the published version")
    return None


def story_entry(story, campaign):
    image_url = ""
    if story.hero_image_id:
        rendition = story.hero_image.get_rendition(EMAIL_IMAGE_SPEC)
        image_url = absolute(rendition.url)
    return {
        "title": story.title,
        "summary": story.summary,
        "storyteller": story.get_storyteller_name(),
        "image_url": image_url,
        "image_alt": story.hero_image_alt,
        "url": tracked_url(story, NEWSLETTER, medium="email", campaign=campaign),
    }


def included_stories(issue):
    """The issue's stories that pass the consent gate right now, in the editor's order."""
    stories = []
    for item in issue.items.select_related("story").order_by("sort_order"):
        if item.withdrawn_at is not None or item.story is None:
            continue
        story = item.story.specific
        if consent_problem(story, issue.language) is None:
            stories.append(story)
    return stories


@dataclass
class RenderedIssue:
    subject: str
    html: str
    text: str
    list_id: str
    # Stories that passed the consent gate when this was rendered; an issue without any is not sent.
    story_count: int = 0

    def personalise(self, unsubscribe_url, preferences_url):
        html = self.html.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url).replace(
            PREFERENCES_PLACEHOLDER, preferences_url
        )
        text = self.text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url).replace(
            PREFERENCES_PLACEHOLDER, preferences_url
        )
        return html, text


def list_id():
    """The ``List-Id`` header (RFC 2919): the organisation's name as the label, then ``<newsletter.host>``.

    The label is a phrase: quoted when it holds specials, an encoded word when it is not ASCII,
    so the id in angle brackets stays plain ASCII that mail filters can match.
    """
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    # A header value is one line: line breaks in the name become spaces.
    label = " ".join(organisation_name().split())
    return formataddr((label, f"newsletter.{host}"), charset="utf-8")


def render_issue(issue):
    """Render the issue once; personal links are placeholders (see ``RenderedIssue.personalise``)."""
    from django.urls import reverse

    campaign = f"newsletter-{issue.pk}"
    with translation.override(issue.language):
        stories = [story_entry(story, campaign) for story in included_stories(issue)]
        # Cleaned here like every story's rich text, whatever path the intro came in by.
        intro_html = absolute_urls(expand_db_html(clean_html(issue.intro))) if issue.intro else ""
        context = {
            "issue": issue,
            "intro_html": mark_safe(intro_html),  # noqa: S308 - cleaned with nh3 just above
            "intro_text": html_to_text(intro_html),
            "stories": stories,
            "site_name": organisation_name(),
            "base_url": settings.BASE_URL,
            "archive_url": absolute(reverse("newsletter:archive_detail", args=[issue.pk])),
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            "preferences_url": PREFERENCES_PLACEHOLDER,
        }
        html = _inliner.inline(render_to_string("newsletter/email/issue.html", context))
        text = render_to_string("newsletter/email/issue.txt", context)
    return RenderedIssue(subject=issue.title, html=html, text=text, list_id=list_id(), story_count=len(stories))


def archive_entries(issue):
    """What the archive page shows: each story, or a note where its consent was withdrawn."""
    entries = []
    for item in issue.items.select_related("story").order_by("sort_order"):
        if item.withdrawn_at is not None or item.story is None:
            entries.append({"withdrawn": True})
            continue
        story = item.story.specific
        if consent_problem(story, issue.language) is not None:
            entries.append({"withdrawn": True})
            continue
        entries.append({"withdrawn": False, "story": story, **story_entry(story, f"newsletter-{issue.pk}")})
    return entries
