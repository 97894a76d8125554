"""A tiny registry of periodic jobs, run by ``manage.py run_schedule`` (or cron).

Apps register a callable with ``@periodic("name")``; each job must be idempotent and quick, and
should enqueue tasks for heavy work.
"""

_JOBS = {}


def periodic(name):
    def register(func):
        _JOBS[name] = func
        return func

    return register


def periodic_jobs():
    from django.apps import apps

    # Importing each app's ``periodic`` module registers its jobs.
    for config in apps.get_app_configs():
        try:
            __import__(f"{config.name}.periodic")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.periodic":
                raise
    return sorted(_JOBS.items())
