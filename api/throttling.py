"""Request rates for anonymous callers and scripts (token users); the pages' sessions are not throttled.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``API_THROTTLE_ANON``,
``API_THROTTLE_TOKEN`` in the environment), read on each request so that a
changed setting applies at once.
"""

from __future__ import annotations

from rest_framework.authentication import TokenAuthentication
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from metrics.cache_optional import cache_or


class _SettingsRate:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class _WithoutCacheLetThrough:
    """Throttles count requests in the cache; when it cannot be reached (Redis down), let requests through.

    The API keeps answering from PostgreSQL; rates are enforced again once the cache is back.
    """

    def allow_request(self, request, view) -> bool:
        return cache_or(lambda: super(_WithoutCacheLetThrough, self).allow_request(request, view), fallback=True,
                        what="throttling")  # fmt: skip


class AnonymousThrottle(_SettingsRate, _WithoutCacheLetThrough, AnonRateThrottle):
    """Unauthenticated requests (the schema, the docs, refused calls), counted per client address."""

    scope = "anon"


class TokenThrottle(_SettingsRate, _WithoutCacheLetThrough, UserRateThrottle):
    """Requests authenticated by an API token, counted per user."""

    scope = "token"

    def allow_request(self, request, view) -> bool:
        if not isinstance(getattr(request, "successful_authenticator", None), TokenAuthentication):
            return True
        return super().allow_request(request, view)
