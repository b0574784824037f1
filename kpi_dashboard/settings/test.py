"""The test suite's settings: the product's, with what only tests want."""

from kpi_dashboard.settings import *  # noqa: F403

# PBKDF2's deliberate slowness protects real passwords, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
