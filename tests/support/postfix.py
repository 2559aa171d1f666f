"""A real Postfix on 127.0.0.1 for the tests: the campaigner's provider, as foibot meets it.

Loaded by tests/conftest.py as a pytest plugin. One private instance per test (`postconf -c`-style config
directory in a temp dir, started with `postfix -c DIR start`, stopped after); it needs the Debian package
`postfix` (scripts/test.sh installs it) and root. What it is:

- a submission service on a free port: STARTTLS required (certificate from the suite's Dovecot CA, so
  `ca_file` is `dovecot.ca_file`), SASL logins checked by the suite's Dovecot (any user, its password);
- Debian's submission example: `smtpd_client_restrictions = permit_sasl_authenticated, reject`, and
  `smtpd_sender_login_maps` (a texthash map: sender address -> the login that owns it) with
  `reject_authenticated_sender_login_mismatch`: the refusals a provider gives at RCPT,
      553 5.7.1 <sam@...>: Sender address rejected: not owned by user kim@...
      554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied     (no login)
- everything accepted is relayed to `relay_port` (the tests' aiosmtpd `smtp_server`: the authorities'
  mail servers), so a test counts what the authorities received.

    def test_x(postfix, smtp_server):
        postfix.own("sam@campaign.test", "sam@campaign.test")   # who may send as whom
        section = postfix.smtp_section(username="sam@campaign.test")  # an [smtp] table for the config
        ...
        smtp_server.wait_for(n)                                  # relayed on to the authorities

    .port, .ca_file, .log (the mail log), .own(sender, login), .smtp_section(**overrides), .stop()
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.imap import PASSWORD, Dovecot, free_port

PASSWORD_ENV = "FOIBOT_TEST_POSTFIX_PASSWORD"

MASTER_CF = """\
{listen} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix:
    def __init__(self, dovecot: Dovecot, relay_port: int) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="fbpfx-", dir="/tmp"))
        self.base.chmod(0o755)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.ca_file = dovecot.ca_file
        self.etc, self.spool, self.data = self.base / "etc", self.base / "spool", self.base / "data"
        for d in (self.etc, self.spool, self.data):
            d.mkdir()
        shutil.chown(self.data, "postfix")
        self.log = self.base / "maillog"
        self.senders = self.etc / "senders"
        self.senders.write_text("")
        certs = Path(dovecot.ca_file).parent
        (self.etc / "master.cf").write_text(MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        (self.etc / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {self.spool}
data_directory = {self.data}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.foibot.test
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
maillog_file_prefixes = {self.base}
maillog_file = {self.log}
syslog_name = postfix-{self.base.name}
default_transport = smtp:[127.0.0.1]:{relay_port}
smtp_tls_security_level = none
smtpd_tls_cert_file = {certs / "server.pem"}
smtpd_tls_key_file = {certs / "server.key"}
smtpd_sasl_type = dovecot
smtpd_sasl_path = {dovecot.auth_socket}
smtpd_sender_login_maps = texthash:{self.senders}
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = reject_authenticated_sender_login_mismatch, permit_sasl_authenticated, reject
""")
        self._postfix("start")
        deadline = time.monotonic() + 20
        while not _listening(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Postfix did not start:\n{self.mail_log()}")
            time.sleep(0.05)

    def _postfix(self, *args: str) -> None:
        result = subprocess.run(["postfix", "-c", str(self.etc), *args], capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(f"postfix {' '.join(args)} failed: {result.stderr}\n{self.mail_log()}")

    def mail_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def own(self, sender: str, login: str) -> None:
        """`login` owns `sender`: it may send with that MAIL FROM (texthash maps are read at each smtpd start)."""
        with self.senders.open("a") as fh:
            fh.write(f"{sender} {login}\n")
        self._postfix("reload")

    def smtp_section(self, **overrides: Any) -> dict[str, Any]:
        section: dict[str, Any] = {
            "host": self.host, "port": self.port, "security": "starttls", "ca_file": self.ca_file,
            "username": "", "password_env": PASSWORD_ENV, "connections": 2, "rate_per_minute": 0,
            "domain_pause_seconds": 0, "timeout_seconds": 10, "max_attempts": 3, "retry_base_seconds": 0.1,
        }
        section.update(overrides)
        if not section["username"]:
            del section["username"], section["password_env"]
        return section

    def stop(self) -> None:
        subprocess.run(["postfix", "-c", str(self.etc), "stop"], capture_output=True, check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def postfix(dovecot: Dovecot, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Postfix]:
    """A Postfix of the test's own relaying to `smtp_server`; SASL password in $FOIBOT_TEST_POSTFIX_PASSWORD."""
    if not shutil.which("postfix") and not Path("/usr/sbin/postfix").exists():
        pytest.skip("Postfix is not installed: run scripts/test.sh (it installs postfix)")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    server = Postfix(dovecot, smtp_server.port)
    try:
        yield server
    finally:
        server.stop()
