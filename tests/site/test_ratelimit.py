"""The shared request counter of the public forms and personal links."""

from django.core.cache import cache

from core.ratelimit import over_limit


def test_counts_per_scope_and_client_and_refuses_past_the_limit():
    assert [over_limit("signup", "203.0.113.7", 2) for _ in range(3)] == [False, False, True]
    assert over_limit("signup", "203.0.113.8", 2) is False  # another client has its own count
    assert over_limit("withdraw", "203.0.113.7", 2) is False  # another form has its own count


def test_the_cache_holds_no_address_or_token():
    over_limit("signup", "203.0.113.7", 5)
    over_limit("sign", "secret-personal-token-value", 5)
    keys = " ".join(str(key) for key in cache._cache)  # locmem in the tests
    assert "vertel:rate:signup:" in keys
    assert "203.0.113.7" not in keys
    assert "secret-personal-token-value" not in keys
