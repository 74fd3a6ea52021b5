"""Errors the sandbox answers with, and the HTTP status each one gets.

Handlers raise :class:`ApiError` (answered as an XML error envelope) or
:class:`OAuthRefusedError` (answered as the plain-text ``OAuth authentication
error: ...`` body the live API sends). Nothing here reaches the caller as a
Python exception: :meth:`Sandbox.handle` turns both into replies.
"""

from __future__ import annotations

__all__ = ["ERROR_CODES", "ApiError", "OAuthRefusedError", "http_status_for"]

# code -> (name in 7digital's ErrorCode enum, HTTP status the sandbox sends).
# The live API historically sent HTTP 200 for errors and later 400/404; the
# statuses below follow the newer servers and are the sandbox's choice where
# the API reference marks them unconfirmed.
ERROR_CODES: dict[int, tuple[str, int]] = {
    1001: ("RequiredParameterMissing", 400),
    1002: ("InvalidParameterValue", 400),
    1003: ("ParameterOutOfAllowableRange", 400),
    1006: ("InvalidEnumerationValue", 400),
    2001: ("ResourceNotFound", 404),
    2002: ("ResourceNotAvailableInCurrentContext", 403),
    2003: ("ResourceAlreadyExists", 409),
    3001: ("UserCardHasExpired", 402),
    3002: ("UserHasNoCardDetails", 402),
    3003: ("PaymentFailed", 402),
    3004: ("PriceSuppliedDoesNotMatch", 400),
    3012: ("VoucherNotApplied", 400),
    3101: ("PaymentDeclinedError", 402),
    7001: ("UnableToPerformAction", 429),  # the sandbox's rate-limit answer
    9001: ("UnexpectedInternalServerError", 500),
}


def http_status_for(code: int) -> int:
    """The HTTP status the sandbox sends with error ``code``."""
    return ERROR_CODES.get(code, ("", 400))[1]


class ApiError(Exception):
    """Answer with ``<response status="error"><error code=...>``."""

    def __init__(self, code: int, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else http_status_for(code)

    @classmethod
    def missing(cls, name: str) -> ApiError:
        """1001 for an absent required parameter."""
        return cls(1001, f"Missing or invalid querystring value for {name}")

    @classmethod
    def invalid(cls, name: str, value: str) -> ApiError:
        """1002 for a malformed parameter value."""
        return cls(1002, f"Value of parameter {name} is not valid: {value}")

    @classmethod
    def out_of_range(cls, name: str, value: str, low: int, high: int) -> ApiError:
        """1003 for a number outside its allowed range."""
        return cls(1003, f"Value of parameter {name} is out of range ({low}-{high}): {value}")

    @classmethod
    def bad_enum(cls, name: str, value: str, allowed: tuple[str, ...]) -> ApiError:
        """1006 for a value outside an enumeration."""
        return cls(
            1006, f"Value of parameter {name} is not valid: {value} (one of {', '.join(allowed)})"
        )

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        """2001 for an unknown id."""
        return cls(2001, message)


class OAuthRefusedError(Exception):
    """Answer HTTP 401 with ``OAuth authentication error: <reason>`` as plain text."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status

    @property
    def body(self) -> str:
        """The plain-text reply body."""
        return f"OAuth authentication error: {self.reason}"
