"""`foibot check`: log in to the SMTP and the IMAP server and say what works, sending nothing.

A wrong password, an expired OAuth2 login or an untrusted certificate shows here, before a real send.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config
from .errors import FoibotError


@dataclass(frozen=True)
class ServerCheck:
    label: str  # "SMTP server smtp.gmail.com:465", or "SMTP" for the sandbox
    ok: bool
    detail: str

    @property
    def line(self) -> str:
        return f"{self.label}: {'OK' if self.ok else 'FAILED'}: {self.detail}"


def check_servers(config: Config) -> list[ServerCheck]:
    """Both servers, each on its own: one failing does not hide how the other does."""
    from .collect.imap import check_mailbox
    from .send.mailer import check_server, run_sync
    from .send.run import smtp_settings

    results = []
    if config.smtp is None:
        results.append(ServerCheck("SMTP", True, "the embedded sandbox: nothing leaves this machine"))
    else:
        try:
            results.append(ServerCheck(config.smtp.label, True, run_sync(check_server(smtp_settings(config)))))
        except FoibotError as exc:
            results.append(ServerCheck(config.smtp.label, False, str(exc)))
    if config.imap is None:
        results.append(ServerCheck("IMAP", True, "the embedded sandbox (`foibot poll` needs an [imap] section)"))
    else:
        try:
            results.append(ServerCheck(config.imap.label, True, check_mailbox(config)))
        except FoibotError as exc:
            results.append(ServerCheck(config.imap.label, False, str(exc)))
    return results
