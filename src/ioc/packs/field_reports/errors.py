"""The one error type of the field-reports pack."""

from __future__ import annotations


class FieldReportError(ValueError):
    """A refused action or bad input: ``str(error)`` is the Vietnamese message, ``en`` the
    English one, ``field`` the input field at fault (None for a refused transition);
    ``retry_after`` the seconds to wait when a rate limit refused it."""

    def __init__(
        self,
        message: str,
        en: str = "",
        field: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.en = en or message
        self.field = field
        self.retry_after = retry_after
