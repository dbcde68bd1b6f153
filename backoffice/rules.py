"""The answer of a workflow's "may this be done now?" rule.

Each workflow has one `can_*` function in its app's services (`can_issue(booking, ...)`,
`can_cancel_flight(flight)`). The service calls it under its locks, just before it writes, and
raises the refusal (`.check()`); the page calls the same function to offer the button, or to say
why not (`.reason`). Nothing else decides, so the page and the service cannot drift apart.
"""

from dataclasses import dataclass

from backoffice.errors import DomainError


@dataclass(frozen=True)
class Allowed:
    refusal: DomainError | None = None

    @property
    def ok(self):
        return self.refusal is None

    @property
    def reason(self):
        return "" if self.refusal is None else str(self.refusal)

    def __bool__(self):
        return self.ok

    def check(self):
        """Raise the refusal, if there is one (what a service does before it writes)."""
        if self.refusal is not None:
            raise self.refusal


ALLOWED = Allowed()


def refuse(error):
    return Allowed(error)


def first_refusal(*answers):
    """The first refused answer, or ALLOWED when every one allows."""
    return next((answer for answer in answers if not answer), ALLOWED)
