"""A tiny registry of periodic jobs, run by ``manage.py run_schedule`` (or cron).

Apps register a callable with ``@periodic("name")``; each job must be idempotent and quick, and
should enqueue tasks for heavy work.
"""

from django.utils.module_loading import autodiscover_modules

_JOBS = {}


def periodic(name):
    def register(func):
        _JOBS[name] = func
        return func

    return register


def periodic_jobs():
    """Every registered job as ``(name, callable)``, sorted by name.

    Importing each installed app's ``periodic`` module registers its jobs (Django's autodiscovery,
    as for ``admin.py``). An app without one is skipped; an error inside one is raised.
    """
    autodiscover_modules("periodic")
    return sorted(_JOBS.items())
