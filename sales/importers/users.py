"""The users an import names as territory managers: found by e-mail or username, else created."""

from __future__ import annotations

from django.contrib.auth import get_user_model


class UserPlanner:
    """Users a territory's managers are: found by e-mail or username, else created without a password."""

    def __init__(self) -> None:
        self._pks: dict[tuple[str, str], int | None] = {}
        self._new: dict[tuple[str, str], dict] = {}
        user_model = get_user_model()
        # A new user's username is the manager's e-mail or name in lower case, which may be longer.
        self.username_max_length: int = user_model._meta.get_field(user_model.USERNAME_FIELD).max_length

    def by_email(self, email: str) -> tuple[tuple[str, str], bool, bool]:
        """Return (key, found, ambiguous) for a user with this e-mail."""
        key = ("email", email.lower())
        if key not in self._pks:
            matches = list(get_user_model().objects.filter(email__iexact=email).values_list("pk", flat=True)[:2])
            if len(matches) > 1:
                return key, True, True
            self._pks[key] = matches[0] if matches else None
            if not matches:
                self._new[key] = {"username": email.lower(), "email": email}
        return key, self._pks[key] is not None, False

    def by_username(self, username: str, **fields) -> tuple[tuple[str, str], bool]:
        key = ("username", username)
        if key not in self._pks:
            self._pks[key] = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
            if self._pks[key] is None:
                self._new[key] = {"username": username, **fields}
        return key, self._pks[key] is not None

    def pk_of(self, key: tuple[str, str]) -> int | None:
        return self._pks.get(key)

    @property
    def to_create(self) -> int:
        return len(self._new)

    def write(self) -> None:
        user_model = get_user_model()
        for key, fields in self._new.items():
            user = user_model(**fields)
            user.set_unusable_password()
            user.save()
            self._pks[key] = user.pk
        self._new.clear()
