"""CSV import of subscribers, run by the ``import_subscribers`` task (see ``SubscriberImport``).

The rules are those of the import in the request before it: every row needs documented opt-in,
any bad row means nothing is imported (the bad lines are listed), an address already present
is left exactly as it is (an unsubscribe is never undone), and each new address is stored as
confirmed, from an import, with its proof: the opt-in source and moment, and "import by
user:<id> on <date>, line <n>".

Rows are created in batches; the counters are committed in the same transaction as each batch,
so a worker that dies mid-way is resumed after the last committed batch, and an address is never
created twice (the ``email`` column is unique, and present addresses are skipped). A worker holds
the import by its ``runner`` id and heartbeat; another takes over only once the heartbeat is
older than ``LEASE_SECONDS``.
"""

import logging
import secrets
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from .admin_forms import parse_import_lines
from .models import Subscriber, SubscriberImport
from .tokens import derive_link_token, hash_token

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
LEASE_SECONDS = 120


def is_stalled(job, now=None):
    """Whether nobody is working on an unfinished import (its worker died, or its task was lost)."""
    if job.status == SubscriberImport.Status.FAILED:
        return True
    if job.status not in SubscriberImport.ACTIVE:
        return False
    now = now or timezone.now()
    last_sign = job.heartbeat_at or job.created_at
    return last_sign < now - timezone.timedelta(seconds=LEASE_SECONDS)


def _claim(import_id, runner, now):
    stale = now - timezone.timedelta(seconds=LEASE_SECONDS)
    free = Q(runner="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale)
    return SubscriberImport.objects.filter(
        Q(pk=import_id), Q(status__in=[*SubscriberImport.ACTIVE, SubscriberImport.Status.FAILED]), free
    ).update(runner=runner, heartbeat_at=now, status=SubscriberImport.Status.RUNNING, failure="")


def _new_subscriber(row, proof):
    return Subscriber(
        email=row["email"],
        language=row["language"],
        status=Subscriber.Status.CONFIRMED,
        source=Subscriber.Source.IMPORT,
        source_detail=row["source"],
        opted_in_at=row["at"],
        confirmed_at=row["at"],
        confirmed_via=f"{proof}, line {row['line']}",
        link_salt=secrets.token_hex(16),
    )


def _insert(batch, proof):
    """Create the batch's new addresses; return (created, skipped). Runs inside the batch's transaction."""
    emails = [row["email"] for row in batch]
    present = set(Subscriber.objects.filter(email__in=emails).values_list("email", flat=True))
    fresh = [_new_subscriber(row, proof) for row in batch if row["email"] not in present]
    try:
        with transaction.atomic():
            created = Subscriber.objects.bulk_create(fresh)
            if any(subscriber.pk is None for subscriber in created):
                raise IntegrityError("the database returned no ids")
            # What ``Subscriber.save`` does for one address: the personal-link digest needs the id.
            for subscriber in created:
                subscriber.link_token_hash = hash_token(derive_link_token(subscriber.pk, subscriber.link_salt))
            Subscriber.objects.bulk_update(created, ["link_token_hash"])
        return len(created), len(batch) - len(created)
    except IntegrityError:
        # Someone subscribed one of these addresses meanwhile: one by one, skipping those present.
        count = 0
        for row in batch:
            if row["email"] in present:
                continue
            try:
                with transaction.atomic():
                    subscriber = _new_subscriber(row, proof)
                    subscriber.save()
                count += 1
            except IntegrityError:
                pass
        return count, len(batch) - count


def run_import(import_id, batch_size=None):
    """Run (or resume) the import; return what happened, for the task's result."""
    runner = uuid.uuid4().hex
    if not _claim(import_id, runner, timezone.now()):
        return "not-claimed"
    job = SubscriberImport.objects.get(pk=import_id)
    try:
        with translation.override(job.language or None):
            return _run(job, runner, batch_size or BATCH_SIZE)
    except Exception as error:
        logger.exception("Newsletter: subscriber import %s stopped.", import_id)
        # The class only: a message could quote an address. The content is kept for a resume.
        SubscriberImport.objects.filter(pk=import_id, runner=runner).update(
            status=SubscriberImport.Status.FAILED, runner="", failure=type(error).__name__[:300]
        )
        raise


@task()
def import_subscribers(import_id):
    """Import (or resume importing) an uploaded subscriber CSV; safe to run twice (see above)."""
    return run_import(import_id)


def _finish(job, runner, **fields):
    SubscriberImport.objects.filter(pk=job.pk, runner=runner).update(
        content="", runner="", heartbeat_at=timezone.now(), finished_at=timezone.now(), **fields
    )


def _run(job, runner, batch_size):
    if job.started_at is None:
        job.started_at = timezone.now()
        SubscriberImport.objects.filter(pk=job.pk).update(started_at=job.started_at)
    rows, errors = parse_import_lines(job.content, job.declared_source, job.declared_date)
    if errors or not rows:
        if not errors:
            errors = [(0, _("The file contains no addresses."))]
        _finish(
            job,
            runner,
            status=SubscriberImport.Status.REJECTED,
            total_rows=len(rows) + len(errors),
            errors=[{"line": line, "message": str(message)} for line, message in errors],
        )
        return "rejected"
    SubscriberImport.objects.filter(pk=job.pk, runner=runner).update(total_rows=len(rows))
    proof = f"import by {job.actor} on {job.created_at:%Y-%m-%d}"
    start = job.processed
    while start < len(rows):
        batch = rows[start : start + batch_size]
        with transaction.atomic():
            # Only while the import is still this worker's: one that lost its lease stops here.
            current = SubscriberImport.objects.select_for_update().filter(pk=job.pk, runner=runner).first()
            if current is None or current.processed != start:
                return "taken-over"
            created, skipped = _insert(batch, proof)
            current.processed = start + len(batch)
            current.created += created
            current.skipped += skipped
            current.heartbeat_at = timezone.now()
            current.save(update_fields=["processed", "created", "skipped", "heartbeat_at"])
        start += len(batch)
    _finish(job, runner, status=SubscriberImport.Status.DONE)
    return "done"
