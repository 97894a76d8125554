"""Production settings pass Django's deployment checks when the documented variables are set."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "stories.example.org",
            "BASE_URL": "https://stories.example.org",
            "DATABASE_URL": "sqlite:////tmp/vertel-deploy-check.sqlite3",
            "VERTEL_CREDENTIALS_KEY": Fernet.generate_key().decode(),
            "EMAIL_URL": "smtp://mail.example.org:587/?tls=True",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets():
    for missing in ("SECRET_KEY", "VERTEL_CREDENTIALS_KEY"):
        result = manage("check", env=production_env(**{missing: None}))
        assert result.returncode != 0
        assert missing in result.stderr
