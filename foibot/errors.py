"""The one exception family: every expected failure is a FoibotError with a message for a campaigner."""


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


class AlreadyRunning(FoibotError):
    """Another foibot daemon holds the lock on this database."""
