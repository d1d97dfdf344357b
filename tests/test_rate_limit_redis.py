"""Rate limits shared through Redis: several app servers count log-in attempts together."""

from __future__ import annotations

import os

import pytest
import redis

from participation import create_app
from participation.extensions import limiter

from .conftest import Client

REDIS_URL = os.environ.get("PARTICIPATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


def test_login_limit_is_shared_through_redis(app_config, redis_url):
    config = {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url,
              "RATELIMIT_LOGIN": "2 per minute"}
    app = create_app(config)
    assert type(limiter.storage).__name__ == "RedisStorage"
    client = Client(app.test_client())
    data = {"email": "nobody@example.org", "password": "wrong-password-1"}
    assert [client.submit("/login", dict(data)).status_code for _ in range(2)] == [422, 422]
    # The counter lives in Redis: a restarted (or another) app server sees it.
    restarted = create_app(config)
    response = Client(restarted.test_client()).submit("/login", dict(data))
    assert response.status_code == 429
    for each in (app, restarted):
        each.extensions["db_engine"].dispose()
    limiter.reset()
