"""Classify a file of messages with the health-data guard, locally.

    python manage.py classify_messages IN.jsonl OUT.jsonl

IN has one JSON object a line: ``{"id", "lang", "network", "text"}`` (``lang`` and ``network`` may
be empty). OUT gets ``{"id", "labels": [...]}`` a line, in the same order, with the label names of
``conversations.models.Label``. Bad input stops the command with a sentence that names the line,
never the text (message texts are personal data and never printed or logged); OUT is only written
when every line was read.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Classify messages (JSON lines with id, lang, network, text) with the health-data guard."

    def add_arguments(self, parser):
        parser.add_argument("input", help="JSON lines to read: {id, lang, network, text}")
        parser.add_argument("output", help="JSON lines to write: {id, labels}")

    def handle(self, *args, input, output, **options):
        rows = self.read(Path(input))
        from conversations.guard import classify

        results = [{"id": row["id"], "labels": list(classify(row["text"], row["lang"]).labels)} for row in rows]
        try:
            with open(output, "w", encoding="utf-8") as handle:
                for result in results:
                    handle.write(json.dumps(result, ensure_ascii=False) + "\n")
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror or error}.") from None
        flagged = sum(bool(result["labels"]) for result in results)
        self.stdout.write(f"Classified {len(results)} messages ({flagged} flagged) into {output}.")

    def read(self, path):
        if not path.is_file():
            raise CommandError(f"Input file not found: {path}.")
        rows = []
        try:
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        item = json.loads(line)
                    except json.JSONDecodeError:
                        raise CommandError(f"Line {number} of {path} is not JSON.") from None
                    if not isinstance(item, dict):
                        raise CommandError(f"Line {number} of {path} is not a JSON object.")
                    if not isinstance(item.get("text"), str):
                        raise CommandError(f"Line {number} of {path} has no text.")
                    if "id" not in item or item["id"] in (None, ""):
                        raise CommandError(f"Line {number} of {path} has no id.")
                    lang = item.get("lang") or ""
                    rows.append(
                        {"id": item["id"], "text": item["text"], "lang": lang if isinstance(lang, str) else ""}
                    )
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text.") from None
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        return rows
