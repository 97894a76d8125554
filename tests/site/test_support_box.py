"""The "if this story touched you" box speaks the story page's language (issue 13).

One support box per language (``website.models.SupportBox``, a translatable snippet): a Dutch page
shows the Dutch box, an English page the English one, and a language without a box (or with an
empty one) shows the default language's. A change to a box reaches the cached pages at once.
"""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError

from website.models import SupportBox

pytestmark = pytest.mark.django_db


def box_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").select_one(".support-box")


@pytest.fixture
def both_languages(client, home_en, story_index, make_org_story, locales):
    home_en.save_revision().publish()
    dutch = make_org_story(title="Weer thuis")
    index_en = story_index.copy_for_translation(locales["en"], copy_parents=False)
    index_en.save_revision().publish()
    english = dutch.copy_for_translation(locales["en"], copy_parents=False)
    english.title = "Home again"
    english.save_revision().publish()
    english.refresh_from_db()
    assert "Home again" in client.get(english.url).content.decode()
    return dutch, english


def test_each_language_shows_its_own_box(client, both_languages, locales):
    dutch, english = both_languages
    nl_box = SupportBox.objects.create(locale=locales["nl"], title="Raakte dit verhaal u?", text="Bel 113.")
    en_box = nl_box.copy_for_translation(locales["en"])  # Wagtail's "Translate" action
    en_box.title, en_box.text = "Did this story touch you?", "Call 113."
    en_box.save()

    dutch_box, english_box = box_of(client, dutch.url), box_of(client, english.url)
    assert dutch_box.h2.text == "Raakte dit verhaal u?" and dutch_box.p.text == "Bel 113."
    assert english_box.h2.text == "Did this story touch you?" and english_box.p.text == "Call 113."


def test_a_language_without_a_box_or_with_an_empty_one_shows_the_default_languages(client, both_languages, locales):
    dutch, english = both_languages
    SupportBox.objects.create(locale=locales["nl"], title="Raakte dit verhaal u?", text="Bel 113.")
    assert box_of(client, english.url).h2.text == "Raakte dit verhaal u?"

    empty = SupportBox.objects.create(locale=locales["en"], title="", text="")
    assert box_of(client, english.url).p.text == "Bel 113."
    empty.text = "Call 113."
    empty.save()
    english_box = box_of(client, english.url)
    # Only a text: the page's own language, under the default heading in that language.
    assert english_box.p.text == "Call 113." and english_box.h2.text == "If this story touched you"
    assert box_of(client, dutch.url).p.text == "Bel 113."


def test_a_changed_box_reaches_the_cached_pages(client, settings, both_languages, locales):
    settings.PAGE_CACHE_ENABLED = True
    _dutch, english = both_languages
    box = SupportBox.objects.create(locale=locales["en"], title="Need to talk?", text="Call us.")
    client.get(english.url)
    assert client.get(english.url)["X-Cache"] == "hit"
    box.text = "Call the patient line."
    box.save()
    response = client.get(english.url)
    assert response["X-Cache"] == "miss" and "Call the patient line." in response.content.decode()
    box.delete()
    assert "Call the patient line." not in client.get(english.url).content.decode()


def test_one_box_per_language(locales):
    SupportBox.objects.create(locale=locales["nl"], title="Raakte dit verhaal u?")
    second = SupportBox(locale=locales["nl"], title="Nog een")
    with pytest.raises(ValidationError):
        second.full_clean()


def test_the_admin_lists_and_edits_the_boxes(client, superuser, locales):
    box = SupportBox.objects.create(locale=locales["nl"], title="Raakte dit verhaal u?", text="Bel 113.")
    client.force_login(superuser)
    listing = client.get("/admin/snippets/website/supportbox/")
    assert listing.status_code == 200 and "Raakte dit verhaal u?" in listing.content.decode()
    response = client.post(
        f"/admin/snippets/website/supportbox/edit/{box.pk}/", {"title": "Raakte dit u?", "text": "Bel ons."}
    )
    assert response.status_code == 302
    box.refresh_from_db()
    assert (box.title, box.text) == ("Raakte dit u?", "Bel ons.")


def test_moderators_keep_the_boxes_up_to_date_and_editors_may_read_them(client, django_user_model, locales):
    from django.contrib.auth.models import Group

    box = SupportBox.objects.create(locale=locales["nl"], title="Raakte dit verhaal u?", text="Bel 113.")
    edit_url = f"/admin/snippets/website/supportbox/edit/{box.pk}/"
    moderator = django_user_model.objects.create_user(username="moderator", password="pw")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)
    assert client.post(edit_url, {"title": "Raakte dit u?", "text": "Bel ons."}).status_code == 302
    box.refresh_from_db()
    assert box.text == "Bel ons."

    editor = django_user_model.objects.create_user(username="writer", password="pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert client.get("/admin/snippets/website/supportbox/").status_code == 200
    client.post(edit_url, {"title": "Anders", "text": "Anders."})
    box.refresh_from_db()
    assert box.text == "Bel ons."
