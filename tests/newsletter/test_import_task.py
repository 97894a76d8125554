"""The subscriber CSV import runs as a background task: quick checks in the request, rows in batches, resumable."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from newsletter import imports
from newsletter.models import Subscriber, SubscriberImport, hash_token

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
HEADER = "email,language,opt_in_source,opted_in_at\n"


@pytest.fixture
def newsletter_editor(client, django_user_model):
    user = django_user_model.objects.create_user(username="nl", password="pw", email="nl@example.org")
    user.groups.add(Group.objects.get(name="Newsletter editors"))
    client.force_login(user)
    return user


def upload(client, text, follow=False, **fields):
    data = {
        "file": SimpleUploadedFile("list.csv", text.encode() if isinstance(text, str) else text, "text/csv"),
        "declaration": "on",
        **fields,
    }
    return client.post("/admin/newsletter/import/", data, follow=follow)


def rows(count, start=0):
    return "".join(f"reader{n}@example.org,nl,Open dag,2025-05-12\n" for n in range(start, start + count))


def test_a_small_import_creates_the_subscribers_and_shows_the_summary(client, newsletter_editor):
    Subscriber(email="known@example.org", status=Subscriber.Status.UNSUBSCRIBED, source="page").save()
    text = HEADER + "New@Example.org,en,Paper list,2025-05-12\nknown@example.org,nl,Open dag,2025-05-12\n" + rows(1)
    response = upload(client, text, follow=True)
    job = SubscriberImport.objects.get()
    assert response.redirect_chain == [(f"/admin/newsletter/import/{job.pk}/", 302)]
    html = response.content.decode()
    assert "2 addresses imported; 1 were already present and left unchanged." in html
    assert (job.status, job.total_rows, job.processed, job.created, job.skipped) == ("done", 3, 3, 2, 1)
    assert job.content == "" and job.created_by == newsletter_editor and job.finished_at is not None
    # The proof of opt-in as the import in the request recorded it.
    new = Subscriber.objects.get(email="new@example.org")
    assert new.status == Subscriber.Status.CONFIRMED and new.source == Subscriber.Source.IMPORT
    assert new.source_detail == "Paper list" and timezone.localtime(new.opted_in_at).date().isoformat() == "2025-05-12"
    assert new.confirmed_at == new.opted_in_at and new.language == "en"
    assert new.confirmed_via == f"import by user:{newsletter_editor.pk} on {job.created_at:%Y-%m-%d}, line 2"
    # Personal links work as for an address saved one by one.
    assert new.link_token_hash and hash_token(new.link_token) == new.link_token_hash
    assert Subscriber.objects.get(email="known@example.org").status == Subscriber.Status.UNSUBSCRIBED
    data = client.get(f"/admin/newsletter/import/{job.pk}/progress/").json()
    assert data["status"] == "done" and data["finished"] is True
    assert (data["total"], data["processed"], data["created"], data["skipped"]) == (3, 3, 2, 1)


def test_a_60000_row_import_returns_at_once_and_the_worker_imports_it(
    client, newsletter_editor, settings, django_assert_max_num_queries
):
    from django.utils.module_loading import import_string
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    text = HEADER + rows(60_000)
    with django_assert_max_num_queries(25):
        response = upload(client, text)
    job = SubscriberImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/newsletter/import/{job.pk}/"
    # The request read no row: it queued the task and left.
    assert not Subscriber.objects.exists()
    assert (job.status, job.processed, job.total_rows) == ("queued", 0, 0)
    task = DBTaskResult.objects.get(task_path="newsletter.imports.import_subscribers")
    # Rows queued before the task moved beside ``run_import`` name the old path: it still resolves.
    assert import_string("newsletter.tasks.import_subscribers") is import_string(task.task_path)
    assert task.args_kwargs["args"] == [job.pk]
    page = client.get(f"/admin/newsletter/import/{job.pk}/")
    assert page.status_code == 200 and "Waiting to start" in page.content.decode()

    # What ``db_worker`` does with the queued row (the command itself closes the connections,
    # which on PostgreSQL ends the test's transaction): claim it, run the task, record the result.
    queued = DBTaskResult.objects.ready().get(pk=task.pk)
    queued.claim("test-worker")
    queued.set_successful(queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"]))
    assert DBTaskResult.objects.get(pk=task.pk).return_value == "done"

    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed, job.created, job.skipped) == ("done", 60_000, 60_000, 60_000, 0)
    assert job.content == ""
    assert Subscriber.objects.count() == 60_000
    assert Subscriber.objects.filter(link_token_hash__isnull=True).count() == 0
    data = client.get(f"/admin/newsletter/import/{job.pk}/progress/").json()
    assert (data["processed"], data["created"], data["finished"]) == (60_000, 60_000, True)
    assert "60000 addresses imported" in client.get(f"/admin/newsletter/import/{job.pk}/").content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("mail,name\na@example.org,A\n", "needs a column named “email”"),
        ("email\n", "contains no addresses"),
        ("email\nä@example.org\n".encode("latin-1"), "not UTF-8"),
    ],
    ids=["no-email-column", "no-rows", "not-utf8"],
)
def test_a_bad_file_is_a_form_error_and_keeps_what_was_typed(client, newsletter_editor, content, message):
    response = upload(client, content, declared_source="Paper list, open day", declared_date="2025-05-12")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="Paper list, open day"' in html
    assert not SubscriberImport.objects.exists() and not Subscriber.objects.exists()


def test_a_file_larger_than_the_limit_is_refused(client, newsletter_editor, monkeypatch):
    from newsletter.admin_forms import ImportForm

    monkeypatch.setattr(ImportForm, "MAX_BYTES", 100)
    response = upload(client, HEADER + rows(10))
    assert "larger than 10 MB" in response.content.decode()
    assert not SubscriberImport.objects.exists()


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(client, newsletter_editor):
    text = HEADER + rows(2) + "not-an-address,nl,Open dag,2025-05-12\nx@example.org,fr,Open dag,2025-05-12\n"
    response = upload(client, text, follow=True)
    job = SubscriberImport.objects.get()
    assert job.status == "rejected" and job.content == "" and job.created == 0
    assert [error["line"] for error in job.errors] == [4, 5]
    assert job.errors[0]["message"].startswith("Line 4:")
    html = response.content.decode()
    assert "Nothing was imported" in html and "Line 4:" in html and "Line 5:" in html
    assert not Subscriber.objects.exists()


def test_without_the_newsletter_permission_the_import_is_refused(client, newsletter_editor, django_user_model):
    upload(client, HEADER + rows(2))
    job = SubscriberImport.objects.get()
    other = django_user_model.objects.create_user(username="pages", password="pw")
    other.groups.add(Group.objects.get(name="Editors"))
    client.force_login(other)
    for method, url in (
        ("get", "/admin/newsletter/import/"),
        ("post", "/admin/newsletter/import/"),
        ("get", f"/admin/newsletter/import/{job.pk}/"),
        ("get", f"/admin/newsletter/import/{job.pk}/progress/"),
        ("post", f"/admin/newsletter/import/{job.pk}/resume/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/"), url
        assert b"reader0@example.org" not in response.content and b"list.csv" not in response.content, url
    assert SubscriberImport.objects.count() == 1


class WorkerKilled(BaseException):
    """Stands for a worker process that dies: no ``except Exception`` sees it."""


def test_an_interrupted_import_resumes_without_duplicates(client, newsletter_editor, settings, monkeypatch):
    settings.TASKS = DB_TASKS
    upload(client, HEADER + rows(45))
    job = SubscriberImport.objects.get()
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    real_insert, calls = imports._insert, []

    def dying_insert(batch, proof):
        calls.append(len(batch))
        if len(calls) == 3:
            raise WorkerKilled
        return real_insert(batch, proof)

    monkeypatch.setattr(imports, "_insert", dying_insert)
    with pytest.raises(WorkerKilled):
        imports.run_import(job.pk)
    job.refresh_from_db()
    # Two batches committed with their counters; the third rolled back with the worker.
    assert (job.status, job.processed, job.created) == ("running", 20, 20)
    assert Subscriber.objects.count() == 20 and job.runner
    monkeypatch.setattr(imports, "_insert", real_insert)
    # While its lease runs, nobody else takes the import, and the page offers no "Continue".
    assert imports.run_import(job.pk) == "not-claimed"
    assert "Continue the import" not in client.get(f"/admin/newsletter/import/{job.pk}/").content.decode()
    refused = client.post(f"/admin/newsletter/import/{job.pk}/resume/", follow=True)
    assert "still running" in refused.content.decode()

    SubscriberImport.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timezone.timedelta(minutes=10))
    page = client.get(f"/admin/newsletter/import/{job.pk}/")
    assert "Continue the import" in page.content.decode()
    assert client.get(f"/admin/newsletter/import/{job.pk}/progress/").json()["stalled"] is True
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    response = client.post(f"/admin/newsletter/import/{job.pk}/resume/", follow=True)
    assert "45 addresses imported; 0 were already present" in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.processed, job.created, job.skipped) == ("done", 45, 45, 0)
    assert Subscriber.objects.count() == 45
    assert sorted(Subscriber.objects.values_list("confirmed_via", flat=True))[0].endswith(", line 10")


def test_a_worker_that_lost_its_lease_stops(client, newsletter_editor, settings, monkeypatch):
    settings.TASKS = DB_TASKS
    upload(client, HEADER + rows(30))
    job = SubscriberImport.objects.get()
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    real_insert = imports._insert

    def insert_then_lose_lease(batch, proof):
        result = real_insert(batch, proof)
        # Another worker took the import over (this one looked dead) before the next batch.
        SubscriberImport.objects.filter(pk=job.pk).update(runner="someone-else")
        return result

    monkeypatch.setattr(imports, "_insert", insert_then_lose_lease)
    assert imports.run_import(job.pk) == "taken-over"
    job.refresh_from_db()
    assert job.processed == 10 and Subscriber.objects.count() == 10


def test_the_summary_is_in_dutch_for_a_dutch_editor(client, newsletter_editor):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(newsletter_editor)
    profile.preferred_language = "nl"
    profile.save()
    response = upload(client, HEADER + rows(2) + "kapot,nl,Open dag,2025-05-12\n", follow=True)
    html = response.content.decode()
    assert "Er is niets geïmporteerd" in html and "Regel 4:" in html
    response = upload(client, "mail\nx@example.org\n")
    assert "kolom" in response.content.decode()
    assert SubscriberImport.objects.count() == 1
