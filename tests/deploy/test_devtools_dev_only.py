"""Benchmarks and loopback fakes live in ``devtools``, a dev-only app (issue 12).

Production settings do not install it, production runs without the test requirements
(``aiosmtpd``), and nothing in the product imports ``tests``, ``devtools`` or ``aiosmtpd``, not
even inside a function.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

from .test_check_deploy import production_env

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("website", "stories", "consent", "channels", "newsletter")
DEV_ONLY = ("tests", "devtools", "aiosmtpd")
BENCHMARKS = ("channels_benchmark", "newsletter_benchmark")

# Run under production settings with the dev-only packages made unimportable: set Django up, import
# every module of the product, and report what is installed and which commands exist.
PRODUCTION_PROBE = """
import importlib, json, pkgutil, sys

BLOCKED = {blocked!r}


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is not available in production")
        return None


sys.meta_path.insert(0, Refuse())
import django

django.setup()
from django.conf import settings
from django.core.management import get_commands

imported = []
for package in {product!r}:
    module = importlib.import_module(package)
    imported.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
print(json.dumps({{
    "installed": list(settings.INSTALLED_APPS),
    "commands": sorted(get_commands()),
    "imported": imported,
    "loaded_dev_only": sorted({{m.split(".")[0] for m in sys.modules}} & set(BLOCKED)),
}}))
"""


def dev_only_imports(path):
    """The imports of ``tests``, ``devtools`` or ``aiosmtpd`` anywhere in ``path`` (line, module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in DEV_ONLY]
    return found


def test_nothing_in_the_product_imports_tests_devtools_or_aiosmtpd():
    offenders = {
        str(path.relative_to(ROOT)): imports
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imports := dev_only_imports(path))
    }
    assert offenders == {}


def test_production_installs_no_devtools_and_runs_without_the_test_requirements():
    probe = PRODUCTION_PROBE.format(blocked=DEV_ONLY, product=PRODUCT)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "devtools" not in report["installed"]
    assert not set(BENCHMARKS) & set(report["commands"])
    assert report["loaded_dev_only"] == []
    assert "channels.adapters" in report["imported"] and "newsletter.sending" in report["imported"]


def test_development_and_test_settings_install_devtools_with_the_benchmark_commands():
    assert "devtools" in settings.INSTALLED_APPS
    commands = get_commands()
    assert {name: commands.get(name) for name in BENCHMARKS} == dict.fromkeys(BENCHMARKS, "devtools")
    dev = subprocess.run(
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=ROOT,
        env={**production_env(), "DJANGO_SETTINGS_MODULE": "website.settings.dev"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dev.returncode == 0, dev.stderr
    assert set(BENCHMARKS) <= set(dev.stdout.split())


def test_base_and_production_settings_do_not_name_devtools():
    for name in ("base.py", "production.py"):
        assert "devtools" not in (ROOT / "website" / "settings" / name).read_text()
