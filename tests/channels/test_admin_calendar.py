"""The editorial calendar: posts by day and channel, in the organisation's zone, filterable."""

import datetime

import pytest
from django.urls import reverse

from channels.models import Dispatch, PostPlan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]


def url(**params):
    from urllib.parse import urlencode

    return reverse("channels_admin:calendar") + "?" + urlencode(params)


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def _rows(html):
    """{day label: row html} of the calendar table."""
    body = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in body.split("<tr")[1:]:
        head = row.split('<th scope="row">', 1)[1].split("</th>", 1)[0].strip()
        rows[head] = row
    return rows


@pytest.fixture
def month(make_org_story, make_patient_story, make_dispatch, make_loop_account, account):
    """March 2026 (summer time starts on the 29th) on two accounts, and a planned draft."""
    other = make_loop_account(name="Bluesky zorg")
    news = make_org_story(title="Nieuwe MRI-scanner")
    open_day = make_org_story(title="Open dag")
    make_dispatch(news, state=Dispatch.State.SENT, scheduled_for=utc(2026, 3, 2, 8, 0))
    make_dispatch(news, state=Dispatch.State.FAILED, target=other, scheduled_for=utc(2026, 3, 2, 8, 0))
    # 23:30 UTC on the 9th is 00:30 on the 10th in Amsterdam.
    make_dispatch(open_day, state=Dispatch.State.QUEUED, scheduled_for=utc(2026, 3, 9, 23, 30))
    # Summer time: 09:00 UTC on the 30th is 11:00 in Amsterdam.
    make_dispatch(open_day, state=Dispatch.State.SENT, target=other, scheduled_for=utc(2026, 3, 30, 9, 0))
    draft = make_patient_story(title="Het verhaal van Anna")
    PostPlan.objects.create(page=draft, account=account, publish_at=utc(2026, 3, 20, 14, 0))
    make_dispatch(make_org_story(title="In april"), scheduled_for=utc(2026, 4, 1, 10, 0))
    return {"other": other, "news": news, "open_day": open_day, "draft": draft}


def test_the_calendar_shows_every_post_by_day_and_channel(editor, month, client_for, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    html = client_for(editor).get(url(month="2026-03")).content.decode()
    assert "<caption>" in html and '<th scope="col">Bluesky zorg</th>' in html
    assert '<th scope="col">Loop (@zorg)</th>' in html
    rows = _rows(html)
    assert len(rows) == 31
    day2 = next(row for head, row in rows.items() if head.endswith(" 2"))
    assert "Nieuwe MRI-scanner" in day2 and "09:00" in day2
    cells = day2.split("<td>")[1:]
    # Columns in name order: Bluesky zorg (failed), then Loop (sent).
    assert "channel-post--failed" in cells[0] and "channel-post--sent" in cells[1]
    day10 = next(row for head, row in rows.items() if head.endswith(" 10"))
    assert "Open dag" in day10 and "00:30" in day10
    day30 = next(row for head, row in rows.items() if head.endswith(" 30"))
    assert "11:00" in day30
    day20 = next(row for head, row in rows.items() if head.endswith(" 20"))
    assert "Het verhaal van Anna" in day20 and "Planned" in day20 and "15:00" in day20
    assert "In april" not in html
    assert "?month=2026-02" in html and "?month=2026-04" in html


def test_the_calendar_filters_by_channel_state_and_story_type(editor, month, client_for):
    client = client_for(editor)
    by_channel = client.get(url(month="2026-03", channel=month["other"].pk)).content.decode()
    assert "Het verhaal van Anna" not in by_channel and "Nieuwe MRI-scanner" in by_channel
    assert '<th scope="col">Loop (@zorg)</th>' not in by_channel
    failed = client.get(url(month="2026-03", state="failed")).content.decode()
    assert "Nieuwe MRI-scanner" in failed and "Open dag" not in failed.split("<tbody>")[-1]
    assert "Het verhaal van Anna" not in failed.split("<tbody>")[-1]
    planned = client.get(url(month="2026-03", state="planned")).content.decode()
    assert "Het verhaal van Anna" in planned.split("<tbody>")[-1]
    patient = client.get(url(month="2026-03", type="patient")).content.decode()
    table = patient.split("<tbody>")[-1]
    assert "Het verhaal van Anna" in table and "Nieuwe MRI-scanner" not in table
    organisation = client.get(url(month="2026-03", type="organisation")).content.decode()
    table = organisation.split("<tbody>")[-1]
    assert "Het verhaal van Anna" not in table and "Open dag" in table
    # The filters survive the month navigation.
    assert f"channel={month['other'].pk}" in by_channel.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_a_bad_month_falls_back_to_this_month(editor, client_for):
    response = client_for(editor).get(url(month="2026-13"))
    assert response.status_code == 200
    assert "Nothing is planned" in response.content.decode()


def test_the_calendar_query_count_does_not_grow_with_posts(
    editor,
    client_for,
    make_org_story,
    make_patient_story,
    make_dispatch,
    make_loop_account,
    account,
    django_assert_max_num_queries,
):
    client = client_for(editor)
    accounts = [account] + [make_loop_account(name=f"Account {n}") for n in range(4)]
    for n in range(12):
        story = make_org_story(title=f"Verhaal {n}")
        for index, target in enumerate(accounts):
            make_dispatch(story, target=target, scheduled_for=utc(2026, 3, 1 + n, 8 + index, 0))
    for n in range(5):
        PostPlan.objects.create(
            page=make_patient_story(title=f"Concept {n}"), account=accounts[n], publish_at=utc(2026, 3, 20 + n, 9, 0)
        )
    client.get(url(month="2026-03"))  # warm caches (content types, session)
    with django_assert_max_num_queries(15):
        html = client.get(url(month="2026-03")).content.decode()
    assert html.count("channel-post--sent") == 60
    assert html.count("channel-post--planned") == 5


def test_posts_of_a_scheduled_story_show_at_its_go_live_time(editor, client_for, make_org_story, account, settings):
    from zoneinfo import ZoneInfo

    from django.utils import timezone
    from wagtail.models import Revision

    settings.TIME_ZONE = "Europe/Amsterdam"
    # Scheduling needs a go-live time in the future: six weeks ahead, 10:15 UTC.
    go_live = (timezone.now() + datetime.timedelta(weeks=6)).replace(hour=10, minute=15, second=0, microsecond=0)
    local = timezone.localtime(go_live, ZoneInfo("Europe/Amsterdam"))
    story = make_org_story(title="Zomerfeest op de afdeling", publish=False)
    story.go_live_at = go_live
    story.post_plans = [PostPlan(account=account, text="Kom ook!")]
    story.save_revision().publish()
    story.refresh_from_db()
    assert not story.live and story.get_latest_revision().approved_go_live_at == go_live

    html = client_for(editor).get(url(month=f"{local:%Y-%m}")).content.decode()
    row = next(row for head, row in _rows(html).items() if head.endswith(f" {local.day}"))
    assert "Zomerfeest op de afdeling" in row and f"{local:%H:%M}" in row
    assert "channel-post--planned" in row
    # Filtered out like every other planned post.
    failed = client_for(editor).get(url(month=f"{local:%Y-%m}", state="failed")).content.decode()
    assert "Zomerfeest op de afdeling" not in failed
    patient = client_for(editor).get(url(month=f"{local:%Y-%m}", type="patient")).content.decode()
    assert "Zomerfeest op de afdeling" not in patient
    # Once it is no longer scheduled, it is not shown.
    Revision.objects.filter(pk=story.get_latest_revision().pk).update(approved_go_live_at=None)
    assert "Zomerfeest" not in client_for(editor).get(url(month=f"{local:%Y-%m}")).content.decode()
