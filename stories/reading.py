"""How long a story takes to read: its words at 200 a minute, at least one minute."""

import math
import re

from django.utils.html import strip_tags
from wagtail.rich_text import RichText

WORDS_PER_MINUTE = 200
WORD = re.compile(r"\w+")


def _texts(value):
    """Every piece of text in a StreamField value: rich text, plain text, the fields of a struct."""
    if isinstance(value, RichText):
        yield strip_tags(value.source)
    elif isinstance(value, str):
        yield strip_tags(value)
    elif isinstance(value, dict) or hasattr(value, "items"):
        for key, item in value.items():
            if key != "url":  # a video's address is not read
                yield from _texts(item)
    elif isinstance(value, list | tuple) or hasattr(value, "raw_data"):
        for item in value:
            yield from _texts(getattr(item, "value", item))


def word_count(page):
    words = len(WORD.findall(page.title or "")) + len(WORD.findall(page.summary or ""))
    for block in page.body:
        words += sum(len(WORD.findall(text)) for text in _texts(block.value))
    return words


def reading_minutes(page):
    return max(1, math.ceil(word_count(page) / WORDS_PER_MINUTE))
