"""StreamField blocks of a story body, shared by every story type."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText

from .sanitize import clean_html

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul"]


class SafeRichTextBlock(blocks.RichTextBlock):
    """Rich text whose stored HTML is cleaned with nh3, whatever path it came in by."""

    def get_prep_value(self, value):
        cleaned = clean_html(value.source if isinstance(value, RichText) else value)
        return super().get_prep_value(RichText(cleaned))


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(required=False, max_length=200, label=_("Attribution"))

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "stories/blocks/quote.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt = blocks.CharBlock(
        max_length=250,
        label=_("Alt text"),
        help_text=_("Describe the image for people who cannot see it."),
    )
    caption = blocks.CharBlock(required=False, max_length=250, label=_("Caption"))

    class Meta:
        icon = "image"
        label = _("Image")
        template = "stories/blocks/image.html"


class VideoBlock(blocks.StructBlock):
    """A video that loads nothing from the video host until the visitor asks for it."""

    url = blocks.URLBlock(label=_("Video URL"), help_text=_("A YouTube or Vimeo address, or a link to a video file."))
    title = blocks.CharBlock(max_length=200, label=_("Title"))
    poster = ImageChooserBlock(required=False, label=_("Poster image"))
    transcript = blocks.TextBlock(required=False, label=_("Transcript"))

    class Meta:
        icon = "media"
        label = _("Video")
        template = "stories/blocks/video.html"


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=150, label=_("Title"))
    text = SafeRichTextBlock(features=["bold", "italic", "link"], label=_("Text"))

    class Meta:
        icon = "help"
        label = _("Call-out")
        template = "stories/blocks/callout.html"


class StoryBodyBlock(blocks.StreamBlock):
    paragraph = SafeRichTextBlock(
        features=RICH_TEXT_FEATURES, label=_("Text"), template="stories/blocks/paragraph.html"
    )
    quote = QuoteBlock()
    image = CaptionedImageBlock()
    video = VideoBlock()
    callout = CalloutBlock()
