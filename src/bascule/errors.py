"""Errors that reach the user as one line naming what went wrong and where."""


class BasculeError(Exception):
    """Base of every error bascule reports to its user without a traceback."""


class DatabaseUrlError(BasculeError):
    """The database URL cannot be parsed or names an unsupported backend."""


class DatabaseUnavailableError(BasculeError):
    """The database server cannot be reached or the file cannot be opened."""


class SchemaMissingError(BasculeError):
    """The database has not been initialised with ``bascule db upgrade``."""


class UnknownEntityError(BasculeError):
    """A reference to a site, patient or other entity that does not exist."""


class JournalIntegrityError(BasculeError):
    """The journal's hash chain is broken."""
