"""Domain errors. Each has a `code` that the chat side renders as a clear message."""


class DomainError(Exception):
    """Something a person asked for that the business rules refuse."""

    code = "refused"

    def __init__(self, code: str | None = None, **details):
        self.code = code or self.code
        self.details = details
        super().__init__(f"{self.code} {details}" if details else self.code)


class NotFound(DomainError):
    """Also used for things that exist but are not the asker's: they learn nothing."""

    code = "not_found"


class NotAllowed(DomainError):
    code = "not_allowed"


class TransitionRefused(DomainError):
    code = "transition_refused"


class InvalidInput(DomainError):
    code = "invalid_input"


class InviteRefused(DomainError):
    code = "invite_refused"
