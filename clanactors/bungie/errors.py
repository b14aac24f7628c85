"""Typed Bungie errors. `ErrorCode` in the envelope decides, not the HTTP status."""

from __future__ import annotations

SUCCESS = 1
MAINTENANCE_CODES = frozenset({5})
TRANSIENT_CODES = frozenset({2, 3, 1618, 1688})
THROTTLE_CODES = frozenset({31, 35, 36, 37, 51, 54, 55, 56, 57, 1672})
PRIVACY_CODES = frozenset({1665, 1682})
NOT_FOUND_CODES = frozenset({11, 21, 622, 686, 688, 1601, 1620, 1653})
AUTH_CODES = frozenset({99, 2101, 2102, 2103, 2107})
# A player's OAuth token (not the API key): expired, or not (or no longer) good.
TOKEN_EXPIRED_CODES = frozenset({2111, 2115})
TOKEN_CODES = TOKEN_EXPIRED_CODES | frozenset({99, 2117, 2118, 2119, 2120, 2121, 2123, 2124})
BAD_REQUEST_CODES = frozenset({7, 8, 9, 18, 19, 1630})


class BungieError(Exception):
    """Any failed Bungie call. `code` is the ErrorCode (0 when there was no envelope)."""

    def __init__(self, message: str, *, code: int = 0, status: str = "", path: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        label = f"{self.status} [{self.code}]: " if self.code else ""
        return f"{label}{self.args[0]}{where}"


class MaintenanceError(BungieError):
    """Bungie is down for maintenance (ErrorCode 5, or an HTML/non-JSON page)."""


class ThrottledError(BungieError):
    """Bungie asked us to slow down; `retry_after` seconds before the next call."""

    def __init__(
        self, message: str, *, retry_after: float, code: int = 0, status: str = "", path: str = ""
    ) -> None:
        super().__init__(message, code=code, status=status, path=path)
        self.retry_after = retry_after


class PrivacyError(BungieError):
    """The member's data is private (1665, 1682)."""


class NotFoundError(BungieError):
    """The entity does not exist (or not yet: a PGCR not published, 1653)."""


class AuthError(BungieError):
    """The API key is missing, invalid or disabled: nothing will work until it is fixed."""


class TokenError(BungieError):
    """The signed-in player's OAuth token was refused: `expired` (refresh it, then ask
    again) or withdrawn, revoked or unknown (sign in again)."""

    @property
    def expired(self) -> bool:
        return self.code in TOKEN_EXPIRED_CODES


class OAuthRefused(BungieError):
    """The token endpoint said no (`invalid_grant`, `invalid_client`, ...): the code or the
    refresh token is no good; the player must sign in again."""


class BadRequestError(BungieError):
    """Bungie did not understand our request: a bug on our side."""


class TransientError(BungieError):
    """A passing fault (server error, timeout, connection reset) that outlived our retries."""


class ClientClosedError(BungieError):
    """The client was closed while a call waited for its turn."""


def error_for_code(
    code: int, status: str, message: str, path: str, throttle_seconds: float
) -> BungieError:
    if code in THROTTLE_CODES:
        return ThrottledError(
            message, retry_after=throttle_seconds, code=code, status=status, path=path
        )
    kind: type[BungieError] = BungieError
    for codes, cls in (
        (MAINTENANCE_CODES, MaintenanceError),
        (PRIVACY_CODES, PrivacyError),
        (NOT_FOUND_CODES, NotFoundError),
        (AUTH_CODES, AuthError),
        (TRANSIENT_CODES, TransientError),
        (BAD_REQUEST_CODES, BadRequestError),
    ):
        if code in codes:
            kind = cls
            break
    return kind(message, code=code, status=status, path=path)


class ResponseShapeError(BungieError):
    """A Success envelope whose payload lacks what the spec promises."""
