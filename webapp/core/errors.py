"""Domain errors: services raise them, views turn them into a message next to the field."""
from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class TransitionError(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


def attach_to_form(form, error: DomainError) -> None:
    """Show a DomainError next to its field (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        form.form_errors.append(str(error.message))
