"""Tags for story blocks."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django import template
from wagtail.rich_text import RichText
from wagtail.templatetags.wagtailcore_tags import richtext

from stories.sanitize import clean_html

register = template.Library()

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
VIMEO_ID = re.compile(r"^[0-9]{4,15}$")


@dataclass(frozen=True)
class VideoEmbed:
    source_url: str
    embed_url: str  # empty for a plain video file: it is only linked


def parse_video_url(url):
    """A safe link and, for YouTube and Vimeo, the privacy-enhanced player address.

    Anything that is not an http(s) address gives ``None``, so a ``javascript:`` URL never
    reaches a page.
    """
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    host = parts.netloc.lower().split(":")[0]
    video_id = ""
    if host in {"youtu.be"}:
        video_id = parts.path.strip("/")
        if YOUTUBE_ID.match(video_id):
            return VideoEmbed(url, f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1")
    if host.endswith("youtube.com") or host.endswith("youtube-nocookie.com"):
        query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        video_id = query.get("v") or parts.path.rstrip("/").split("/")[-1]
        if YOUTUBE_ID.match(video_id or ""):
            return VideoEmbed(url, f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1")
    if host.endswith("vimeo.com"):
        video_id = parts.path.rstrip("/").split("/")[-1]
        if VIMEO_ID.match(video_id):
            return VideoEmbed(url, f"https://player.vimeo.com/video/{video_id}?autoplay=1&dnt=1")
    return VideoEmbed(url, "")


@register.simple_tag
def video_embed(url):
    return parse_video_url(url)


@register.filter
def safe_richtext(value):
    """Rich text cleaned again as it is rendered.

    The block cleans on save, but a row written past ``save()`` (a raw ``update()``, a database
    restore, an import) would otherwise reach the page as stored.
    """
    source = value.source if isinstance(value, RichText) else (value or "")
    return richtext(clean_html(source))
