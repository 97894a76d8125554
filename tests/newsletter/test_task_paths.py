"""Tasks already queued keep running: django-tasks imports a row's ``task_path`` with ``import_string``."""

from django.utils.module_loading import import_string


def test_the_old_task_paths_resolve_to_the_tasks_beside_their_functions():
    from newsletter.imports import import_subscribers
    from newsletter.sending import send_issue

    assert import_string("newsletter.tasks.send_issue") is send_issue
    assert import_string("newsletter.tasks.import_subscribers") is import_subscribers
    assert send_issue.module_path == "newsletter.sending.send_issue"
    assert import_subscribers.module_path == "newsletter.imports.import_subscribers"
