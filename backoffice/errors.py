"""The base of every refusal a person at the desk reads."""


class DomainError(Exception):
    """A refused operation; nothing was written. `field` names the input at fault, when there is one;
    `record`, the record it is about when the operation saved several (one row of an admin inline)."""

    field = None
    record = None

    def __init__(self, message, *, field=None, record=None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
        self.record = record

    def __str__(self):
        return self.message


class AlreadyDone(DomainError):
    """What was asked had already been done (the button pressed twice, or by someone else at the same
    time): nothing new was written, and that is not a failure. Pages say so as information and show
    what exists."""
