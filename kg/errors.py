"""kg's exception family: each names the file or trial at fault and what to do about it."""

from __future__ import annotations


class KgError(Exception):
    """Base of every error kg raises on purpose; the CLI turns it into a message and exit code 2."""


class InputError(KgError):
    """An input path cannot be read at all (missing, unreadable, unknown format)."""


class ParseError(KgError):
    """One record cannot be turned into a TrialRecord; carries a reason code for the rejects report."""

    def __init__(self, reason: str, message: str, nct_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.nct_id = nct_id


class ValidationError(KgError):
    """The shapes or the graph to validate cannot be loaded."""


class OntologyError(KgError):
    """The ontology cannot be loaded or reasoned over (e.g. Java is missing)."""


class OutputError(KgError):
    """An output file cannot be written."""
