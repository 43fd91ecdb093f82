"""kg's exception family: each names the file or trial at fault and what to do about it."""

from __future__ import annotations

import signal


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


class ConfigError(KgError):
    """Options that contradict each other or name something kg does not have; refused before any work."""


class OutputError(KgError):
    """An output file cannot be written."""


class BusyError(KgError):
    """Another kg process is writing the same output or store."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: raised in the main thread so every abort path runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class QueryError(KgError):
    """A query that cannot run: a syntax error (with the engine's position) or a bad parameter."""


class QueryRefused(QueryError):
    """A query kg will not run: an update, SERVICE, FROM <url>, or one past a limit."""


class QueryTooComplex(QueryError):
    """A query nested deeper than the engines' parsers can take (a client error, not a refusal)."""


class AnswerTooLarge(QueryRefused):
    """An answer past the row or byte limit."""


class UnknownTrial(KgError):
    """The NCT id asked about is not a trial built from a record in this graph."""


class UnsupportedShapes(ValidationError):
    """The shapes use a SHACL feature this engine does not implement; use pyshacl for them."""


class MemberTooLarge(OSError):
    """A zip member inflated past MAX_MEMBER_BYTES."""


class DamagedMember(OSError):
    """A zip member whose bytes do not inflate, or do not match their checksum."""


class UnsupportedMember(OSError):
    """A zip member packed in a way zipfile cannot read (Deflate64, encrypted)."""


class FetchError(KgError):
    """The registry refused the request (a 4xx naming what is wrong), kept failing after retries, or sent
    a reply kg will not follow (a redirect, a body over the cap, a page that is not an object, pages that
    loop)."""


class StoreError(KgError):
    """A store that cannot be opened or written."""
