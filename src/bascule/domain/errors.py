"""Errors raised when a domain object would be invalid."""


class DomainError(ValueError):
    """A value that breaks a rule of the domain; the message names the field."""


class InvalidNirError(DomainError):
    """A NIR (French social security number) with a bad format or a wrong key."""
