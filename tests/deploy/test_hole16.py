"""Hole 16 of issue 11: production must not run silently on the public development credentials key."""

from tests.deploy.test_check_deploy import manage, production_env

DEVELOPMENT_KEY = "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM="


def test_check_deploy_warns_about_the_development_credentials_key():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(VERTEL_CREDENTIALS_KEY=DEVELOPMENT_KEY)
    )
    assert result.returncode != 0
    assert "VERTEL_CREDENTIALS_KEY" in result.stdout + result.stderr
