"""The one exception family: every expected failure is a FoibotError with a message for a campaigner."""

from __future__ import annotations

from typing import Protocol


class FoibotError(Exception):
    """An expected failure, explained in plain words; the CLI prints it as `Error: ...` and exits 1."""


class ConfigError(FoibotError):
    """The config file or the environment is wrong (names the key and the file)."""


class InputError(FoibotError):
    """An input file (authorities CSV, a reply file) is wrong (names the file and line)."""


class TemplateError(FoibotError):
    """A request or chase template does not render for some authority (names both)."""


class MailServerError(FoibotError):
    """An SMTP or IMAP server could not be reached, refused us, or broke off (names the server)."""


class StoreError(FoibotError):
    """The database or files folder cannot be used (names the path)."""


class AlreadyRunningError(FoibotError):
    """Another foibot daemon holds the lock on this database."""


class PollInterruptedError(MailServerError):
    """The connection broke off during a pass; what was stored before is kept and `report` says what."""

    def __init__(self, message: str, report: Summarised):
        super().__init__(message)
        self.report = report


class AddressError(ValueError):
    """Why an address or header value is unusable, in words for a campaigner (a ValueError: callers check
    addresses and turn this into the InputError or ConfigError that names the file)."""


class Summarised(Protocol):
    def summary(self) -> str: ...


class OAuthLoginError(MailServerError):
    """An OAuth2 login is missing, was refused, or cannot be refreshed; the message says to run `foibot login`
    again, and never holds a token."""
