"""Story models: where pages may live, required alt text, sanitising on save, naming."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils import WagtailPageTestCase

from stories.models import (
    Naming,
    OrganisationStoryPage,
    PatientStoryPage,
    Person,
    StoryIndexPage,
    StoryPage,
    display_name,
)
from stories.sanitize import clean_html
from website.models import HomePage, StandardPage


class PageTypeRules(WagtailPageTestCase):
    def test_where_pages_may_be_created(self):
        self.assertCanCreateAt(StoryIndexPage, PatientStoryPage)
        self.assertCanCreateAt(StoryIndexPage, OrganisationStoryPage)
        self.assertCanCreateAt(HomePage, StoryIndexPage)
        self.assertCanCreateAt(HomePage, StandardPage)
        self.assertCanNotCreateAt(HomePage, PatientStoryPage)
        self.assertCanNotCreateAt(PatientStoryPage, PatientStoryPage)
        self.assertCanNotCreateAt(StoryIndexPage, StoryIndexPage)
        self.assertFalse(StoryPage.is_creatable)


@pytest.mark.django_db
def test_hero_image_needs_alt_text(make_org_story, image):
    story = make_org_story(publish=False)
    story.hero_image = image
    story.hero_image_alt = "  "
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert "hero_image_alt" in error.value.message_dict


@pytest.mark.django_db
def test_rich_text_is_cleaned_on_save_whatever_the_path(make_org_story):
    story = make_org_story(
        publish=False,
        body=[
            (
                "paragraph",
                '<p onclick="steal()">Hallo<script>alert(1)</script><style>p{}</style>'
                '<img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>'
                '<a href="https://example.org">ok</a></p>',
            ),
            ("callout", {"title": "t", "text": "<p>c<script>bad()</script></p>"}),
        ],
    )
    story.refresh_from_db()
    stored = story.body.raw_data
    paragraph = stored[0]["value"]
    assert "script" not in paragraph and "onclick" not in paragraph and "onerror" not in paragraph
    assert "<style" not in paragraph and "javascript:" not in paragraph and "<img" not in paragraph
    assert 'href="https://example.org"' in paragraph
    assert "script" not in stored[1]["value"]["text"]


def test_clean_html_keeps_wagtail_internal_links():
    cleaned = clean_html('<p><a linktype="page" id="3">Verhaal</a> <b>vet</b></p>')
    assert 'linktype="page"' in cleaned and 'id="3"' in cleaned and "<b>vet</b>" in cleaned


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("naming", "expected"),
    [
        (Naming.FULL_NAME, "Anna de Vries"),
        (Naming.FIRST_NAME, "Anna"),
        (Naming.PSEUDONYM, "Anouk"),
        (Naming.ANONYMOUS, ""),
    ],
)
def test_naming_decides_the_name_shown(naming, expected):
    person = Person(full_name="Anna de Vries", first_name="Anna", pseudonym="Anouk")
    assert display_name(person, naming) == expected


@pytest.mark.django_db
def test_first_name_falls_back_to_the_first_word():
    assert display_name(Person(full_name="Henk Jansen"), Naming.FIRST_NAME) == "Henk"
