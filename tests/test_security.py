"""Security review, as tests: TLS with certificate checks (no plaintext off loopback, no STARTTLS downgrade),
passwords that never land anywhere, owner-only files whatever the umask, and no code path that evaluates data.

What replies can carry (hostile attachments, active HTML, template syntax, terminal escapes) is in
test_security_replies.py.
"""

from __future__ import annotations

import ast
import base64
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support.imap import PASSWORD, Dovecot, free_port, serving, toml_text
from support.mail import reply
from support.run import authorities_csv, foibot
from support.smtp import SmtpServer, write_config

from foibot import references
from foibot.cli import cli
from foibot.clock import parse_now
from foibot.config import load_config
from foibot.daemon import Daemon
from foibot.errors import MailServerError

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


# --- TLS: certificates checked by default, STARTTLS never skipped, plaintext only on loopback ----------------

class StrippingProxy:
    """A man in the middle on loopback: passes bytes both ways but deletes STARTTLS from what the server
    offers (the classic downgrade), and records everything the client sends."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.from_client = bytearray()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client:
                    self.from_client += data
                else:
                    data = data.replace(b"STARTTLS", b"XSTARTTLS")
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def proxy_factory() -> Iterator[Any]:
    made: list[StrippingProxy] = []

    def make(port: int) -> StrippingProxy:
        made.append(StrippingProxy(port))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


def test_smtp_by_default_is_starttls_with_the_certificate_checked(make_smtp_server: Any, campaign: Path) -> None:
    server = make_smtp_server(security="starttls", username="campaigner", password="pw-default-tls")
    section = server.smtp_section()
    del section["security"], section["ca_file"]  # the defaults: starttls, the system's CAs
    write_config(campaign, smtp=section)
    authorities_csv(campaign, 1)
    result = foibot("send", "--run", "r", "--yes")
    assert result.code == 1 and "certificate could not be verified" in result.stderr, result.stderr
    assert server.received == [] and not (campaign / "foibot.db").exists()


@pytest.mark.parametrize("server_kind", ["stripped by the network", "server without TLS"])
def test_smtp_starttls_is_required_never_skipped(make_smtp_server: Any, proxy_factory: Any, campaign: Path,
                                                 server_kind: str) -> None:
    password = "pw-never-in-clear"
    security = "starttls" if server_kind == "stripped by the network" else "none"
    server: SmtpServer = make_smtp_server(security=security, username="campaigner", password=password)
    proxy = proxy_factory(server.port)
    section = server.smtp_section(port=proxy.port, security="starttls")
    section.setdefault("ca_file", "")
    write_config(campaign, smtp={k: v for k, v in section.items() if v != ""})
    authorities_csv(campaign, 2)
    result = foibot("send", "--run", "r", "--yes")
    assert result.code == 1 and "STARTTLS" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert server.received == [] and not (campaign / "foibot.db").exists()
    sent = bytes(proxy.from_client)
    assert b"EHLO" in sent  # the conversation happened, and went no further than asking for STARTTLS
    assert b"AUTH" not in sent and b"MAIL FROM" not in sent and password.encode() not in sent
    assert base64.b64encode(f"\0campaigner\0{password}".encode()) not in sent


def imap_config(folder: Path, user: str, **section: Any) -> Path:
    tables = {"requester": {"name": "A. Campaigner", "email": user},
              "imap": {"host": "127.0.0.1", "username": user, "password_env": "FOIBOT_IMAP_PASSWORD", **section},
              "storage": {"database": "foibot.db"}}
    path = folder / "config.toml"
    path.write_text(toml_text(tables), encoding="utf-8")
    return path


def poll_result(config: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "poll"], obj={})


def test_imap_by_default_is_tls_with_the_certificate_checked(dovecot: Dovecot, imap_user: str, campaign: Path) -> None:
    config = imap_config(campaign, imap_user, port=dovecot.imaps_port)  # no security, no ca_file
    assert load_config(config).imap.security == "tls"  # type: ignore[union-attr]
    result = poll_result(config)
    assert result.exit_code == 1 and isinstance(result.exception, MailServerError)
    assert "certificate is not trusted" in str(result.exception) and "ca_file" in str(result.exception)
    with_ca = imap_config(campaign, imap_user, port=dovecot.imaps_port, ca_file=dovecot.ca_file)
    assert poll_result(with_ca).exit_code == 0  # the same server, its CA named: fine


def test_imap_starttls_stripped_by_the_network_is_refused_before_login(dovecot: Dovecot, imap_user: str,
                                                                       proxy_factory: Any, campaign: Path) -> None:
    proxy = proxy_factory(dovecot.imap_port)
    config = imap_config(campaign, imap_user, port=proxy.port, security="starttls", ca_file=dovecot.ca_file)
    result = poll_result(config)
    assert result.exit_code == 1 and isinstance(result.exception, MailServerError)
    assert "does not offer STARTTLS" in str(result.exception)
    sent = bytes(proxy.from_client).upper()
    assert b"CAPABILITY" in sent and b"LOGOUT" in sent  # it asked, saw no STARTTLS, and left
    assert b"LOGIN" not in sent and b"AUTHENTICATE" not in sent and PASSWORD.upper().encode() not in sent


@pytest.mark.parametrize("section, command", [("smtp", ["send", "--run", "r", "--yes"]), ("imap", ["poll"])])
@pytest.mark.parametrize("host", ["mail.example.org", "10.0.0.5", "127.0.0.1.nip.io", "localhost.example.org"])
def test_plaintext_to_a_host_off_loopback_is_refused_by_the_config(campaign: Path, section: str, command: list[str],
                                                                   host: str) -> None:
    (campaign / "config.toml").write_text(
        f'[requester]\nname = "A"\nemail = "a@example.org"\n[{section}]\nhost = "{host}"\nport = 25\n'
        f'security = "none"\n', encoding="utf-8")
    authorities_csv(campaign, 1)
    result = foibot(*command)
    assert result.code == 1
    assert f'[{section}] security = "none" is only allowed for a loopback host' in result.stderr
    assert not (campaign / "foibot.db").exists()


# --- passwords: never in the database, logs, outputs, files or tracebacks -----------------------------------

SMTP_SECRET = "Sm7p+Zq8!xK~w9/distinct"
IMAP_SECRET = "1map-Vb4Lt_r2.distinct-Q9"
WRONG_SECRET = "Wr0ng-Qz6+Pp.distinct"


def secret_forms(secret: str, user: str) -> list[bytes]:
    """The password as written, and as it crosses a wire (AUTH PLAIN, AUTH LOGIN): none may be stored."""
    return [secret.encode(), base64.b64encode(secret.encode()), base64.b64encode(f"\0{user}\0{secret}".encode()),
            secret.encode("utf-16-le"), secret.encode().hex().encode()]


class SecretDovecot(Dovecot):
    """Our own Dovecot whose one password is distinctive enough to search for."""

    def _write_files(self) -> None:
        super()._write_files()
        self.conf.write_text(self.conf.read_text().replace(f"password={PASSWORD}", f"password={IMAP_SECRET}"))
        self.password = IMAP_SECRET


@pytest.fixture(scope="module")
def secret_dovecot() -> Iterator[Dovecot]:
    with serving(SecretDovecot()) as server:
        yield server


class Evidence:
    """Everything foibot said or wrote during the test, to be searched for the passwords."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, bytes]] = []

    def add(self, where: str, text: str | bytes) -> None:
        self.texts.append((where, text if isinstance(text, bytes) else text.encode("utf-8", "replace")))

    def run(self, label: str, args: list[str], env: dict[str, str], expect: int) -> Result:
        result = CliRunner().invoke(cli, args, obj={}, env=env)
        self.add(label, result.output)
        if result.exception is not None:
            self.add(f"{label} traceback", "".join(traceback.format_exception(result.exception)))
        assert result.exit_code == expect, (label, result.output, result.exception)
        return result

    def add_files(self, folder: Path) -> int:
        count = 0
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self.add(str(path.relative_to(folder)), path.read_bytes())
                count += 1
        return count

    def add_tables(self, database: Path) -> None:
        with sqlite3.connect(database) as conn:
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    self.add(f"table {table}", repr(row))


def test_passwords_never_reach_the_database_logs_outputs_files_or_tracebacks(
        tmp_path: Path, make_smtp_server: Any, secret_dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every library's debug log too (imapclient logs each command)
    smtp = make_smtp_server(security="starttls", username="campaigner", password=SMTP_SECRET)
    user = secret_dovecot.new_user("pw")
    monkeypatch.setenv("FOIBOT_IMAP_PASSWORD", IMAP_SECRET)
    campaign = tmp_path  # the current directory: `--authorities` is read from here
    authorities_csv(campaign, 3)
    imap = secret_dovecot.imap_section(user, security="tls")
    good = write_config(campaign, smtp=smtp, requester={"name": "A. Campaigner", "email": user,
                                                          "reply_address": "plus"}, imap=imap)
    broken_dir = tmp_path / "unreachable"
    broken_dir.mkdir()
    unreachable = write_config(broken_dir, smtp=smtp.smtp_section(port=free_port()),
                               requester={"name": "A. Campaigner", "email": user},
                               imap={**imap, "port": free_port()}, storage={"database": str(campaign / "foibot.db")})
    ev = Evidence()
    at = {"FOIBOT_CONFIG": str(good)}
    smtp_env = smtp.password_env

    def when(moment: str, **env: str) -> dict[str, str]:
        return {**at, "FOIBOT_NOW": moment, **env}

    # The campaign's life with the right passwords.
    ev.run("send", ["send", "--run", "fusus", "--yes"], when("2023-04-17T10:00:00+01:00"), 0)
    assert len(smtp.received) == 3  # logged in with the secret
    # A reader kept open to the end, so the write-ahead log and its index stay on disk to be searched too.
    keeper = sqlite3.connect(campaign / "foibot.db")
    keeper.execute("SELECT count(*) FROM requests").fetchone()
    first = smtp.received[0]
    local, _, domain = user.rpartition("@")
    reference = references.find_references(first.subject)[0]
    secret_dovecot.deliver(user, reply(from_addr=first.to, to=f"{local}+{reference.lower()}@{domain}",
                                       subject=f"RE: [ref {reference}]", in_reply_to=first.header("Message-ID"),
                                       body="The council does not hold the information you asked for."))
    ev.run("poll", ["poll"], when("2023-05-10T10:00:00+01:00"), 0)
    ev.run("chase", ["chase", "--yes"], when("2023-05-18T10:00:00+01:00"), 0)
    assert len(smtp.received) > 3  # reminders went out too
    daemon = Daemon(load_config(good), now=lambda: parse_now("2023-05-19T10:00:00+01:00"))
    daemon.chase()  # the daemon's jobs: a poll, then a chase, logged
    # Failures: a wrong password for each server, and each server unreachable.
    ev.run("chase, wrong SMTP password", ["chase", "--yes"], when("2023-06-16T10:00:00+01:00", **{smtp_env: WRONG_SECRET}), 1)
    ev.run("poll, wrong IMAP password", ["poll"], when("2023-06-16T11:00:00+01:00",
                                                       FOIBOT_IMAP_PASSWORD=WRONG_SECRET), 1)
    authorities_csv(campaign, 4)  # one authority more: the next send has something to send
    ev.run("send, wrong SMTP password", ["send", "--run", "fusus", "--yes"],
           when("2023-06-16T12:00:00+01:00", **{smtp_env: WRONG_SECRET}), 1)
    ev.run("send, server down", ["send", "--run", "fusus", "--yes", "--authorities", str(campaign / "authorities.csv")],
           {"FOIBOT_CONFIG": str(unreachable), "FOIBOT_NOW": "2023-06-16T13:00:00+01:00"}, 1)
    ev.run("poll, server down", ["poll"], {"FOIBOT_CONFIG": str(unreachable)}, 1)
    ev.run("late chase", ["chase", "--yes"], when("2023-08-01T10:00:00+01:00"), 0)  # the internal reviews
    ev.run("complaints", ["chase", "--yes"], when("2023-09-05T10:00:00+01:00"), 0)
    assert list((campaign / "complaints").glob("*.txt")), "the complaints were written"
    # The outcomes.
    ev.run("export", ["export", "-o", str(campaign / "out.csv")], when("2023-09-05T11:00:00+01:00"), 0)
    ev.run("report", ["report", "-o", str(campaign / "report.html")], when("2023-09-05T11:00:00+01:00"), 0)
    ev.run("status", ["status"], when("2023-09-05T11:00:00+01:00"), 0)
    ev.run("triage", ["triage"], when("2023-09-05T11:00:00+01:00"), 0)
    # The daemon as a process, failing to log in: its log on stderr.
    ev.add("daemon stderr", daemon_stderr(campaign, {"FOIBOT_IMAP_PASSWORD": WRONG_SECRET,
                                                     smtp_env: SMTP_SECRET,
                                                     "FOIBOT_NOW": "2023-09-06T10:00:00+01:00"}))
    ev.add("logs", "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records))
    ev.add("formatted logs", caplog.text)
    ev.add_tables(campaign / "foibot.db")
    assert (campaign / "foibot.db-wal").exists() and (campaign / "foibot.db-shm").exists()
    assert ev.add_files(campaign) >= 8  # db, wal, shm, config, csv, out.csv, report.html, complaints, files
    keeper.close()
    leaks = [(where, form) for where, text in ev.texts
             for secret, who in ((SMTP_SECRET, "campaigner"), (IMAP_SECRET, user), (WRONG_SECRET, user))
             for form in secret_forms(secret, who) if form in text]
    assert leaks == []
    assert any("refused the login" in text.decode() for _, text in ev.texts)  # the failures did happen


def daemon_stderr(folder: Path, env: dict[str, str]) -> str:
    """Run `foibot daemon` until its first poll has failed, then stop it (SIGTERM) and return its log."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    environment.update(env, FOIBOT_CONFIG=str(folder / "config.toml"))
    log = folder / "daemon.log"
    with log.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "foibot", "daemon"], cwd=folder, env=environment,
                                   stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 30
            while "poll failed" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    text = log.read_text()
    assert "poll failed" in text and "refused the login" in text, text
    return text


# --- owner-only files, whatever the umask -------------------------------------------------------------------

PERMISSIONS_PROBE = """
import json, os, stat, sys
from pathlib import Path
os.umask(int(sys.argv[1], 8))
sys.path.insert(0, sys.argv[3])
from support.inbox import ScratchInbox
from support.mail import reply
folder = Path(sys.argv[2])
inbox = ScratchInbox(folder)
inbox.deliver([reply(from_addr="foi@council.gov.uk", to="campaigner@example.org", subject="Our reply",
                     attachments=[("letter.pdf", "application/pdf", b"%PDF-1.4 not much of a letter")])])
[path] = [p for p in inbox.config.files_dir.rglob("*") if p.is_file()]
paths = {"database": inbox.config.database_path, "wal": Path(f"{inbox.config.database_path}-wal"),
         "shm": Path(f"{inbox.config.database_path}-shm"), "files folder": inbox.config.files_dir,
         "message folder": path.parent, "attachment": path}
print(json.dumps({name: oct(stat.S_IMODE(p.stat().st_mode)) for name, p in paths.items()}))
inbox.close()
"""


@pytest.mark.parametrize("umask", ["022", "000", "002"])
def test_the_database_and_the_files_folder_are_the_owners_only_whatever_the_umask(tmp_path: Path, umask: str) -> None:
    # In a process of its own: the umask is process-wide, and this must not change it under other tests.
    result = subprocess.run([sys.executable, "-c", PERMISSIONS_PROBE, umask, str(tmp_path), str(TESTS)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout)
    assert modes == {"database": "0o600", "wal": "0o600", "shm": "0o600", "files folder": "0o700",
                     "message folder": "0o700", "attachment": "0o600"}


# --- no shell, no eval, no template rendering of anything that came in ------------------------------------

PACKAGE = sorted((ROOT / "foibot").glob("*.py"))
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "os.system", "os.popen", "os.execv", "os.execve",
                   "os.execvp", "os.spawnv", "os.spawnl", "os.startfile", "importlib.import_module",
                   "jinja2.Template", "Template", "Environment", "jinja2.Environment", "string.Template"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "yaml", "subprocess", "pty", "code",
                     "codeop"}
# Where a template is compiled or looked up, and the only names that may choose which one (never a message's).
TEMPLATE_CALLS = {"from_string": {"render.py"}, "render_text": {"render.py"}, "get_template": {"render.py"},
                  "render_file": {"render.py", "chase.py"}}
TEMPLATE_NAME_PARTS = {"prefix", "stage", "regulator"}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


@pytest.mark.parametrize("path", PACKAGE, ids=lambda p: p.name)
def test_no_shell_eval_or_unsafe_loading_anywhere(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert not {n.split(".")[0] for n in names} & FORBIDDEN_MODULES, f"{path.name}:{node.lineno} imports {names}"
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}"
            for keyword in node.keywords:
                if keyword.arg == "shell":
                    assert isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            attribute = node.func.attr if isinstance(node.func, ast.Attribute) else name
            if attribute in ("format", "format_map") and isinstance(node.func, ast.Attribute):
                # A format string is ours (a literal or a module constant), never text that came in.
                receiver = node.func.value
                assert (isinstance(receiver, ast.Constant) or
                        (isinstance(receiver, ast.Name) and receiver.id.lstrip("_").isupper())), (
                    f"{path.name}:{node.lineno} formats a string that is not a constant")


@pytest.mark.parametrize("path", PACKAGE, ids=lambda p: p.name)
def test_templates_are_compiled_only_from_template_files_and_question_text(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else dotted(node.func)
        if name not in TEMPLATE_CALLS:
            continue
        assert path.name in TEMPLATE_CALLS[name], f"{path.name}:{node.lineno} calls {name}"
        if name in ("render_file", "get_template"):
            # The template's name: literal text ending .j2, or a variable of our own making.
            chosen = node.args[1] if name == "render_file" else node.args[0]
            if isinstance(chosen, ast.JoinedStr):
                parts = [v.value for v in chosen.values if isinstance(v, ast.FormattedValue)]
                assert all(isinstance(p, ast.Name) and p.id in TEMPLATE_NAME_PARTS for p in parts), ast.unparse(chosen)
                assert ast.unparse(chosen).endswith(".j2'") or ast.unparse(chosen).endswith('.j2"')
            else:
                assert isinstance(chosen, ast.Name) and chosen.id == "template_name", ast.unparse(chosen)
        if name == "render_text":
            # Question text from the template set's request.toml, nothing else.
            assert ast.unparse(node.args[1]) == "q.text", ast.unparse(node.args[1])
        if name == "from_string":
            assert ast.unparse(node.args[0]) == "source"


def test_render_text_is_fed_only_the_template_sets_questions() -> None:
    tree = ast.parse((ROOT / "foibot" / "render.py").read_text(encoding="utf-8"))
    loops = [n for n in ast.walk(tree) if isinstance(n, ast.comprehension) and ast.unparse(n.target) == "q"]
    assert loops and all(ast.unparse(loop.iter) == "template_set.questions" for loop in loops)
    environments = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and dotted(n.func).endswith("Environment")]
    # One environment, the immutable sandbox with the limits of issue 13 (what a template may build).
    assert [dotted(n.func) for n in environments] == ["BoundedEnvironment"]
    bounded = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "BoundedEnvironment")
    assert [dotted(b) for b in bounded.bases] == ["ImmutableSandboxedEnvironment"]


def test_classify_never_prints_terminal_control_codes_from_a_reply(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from foibot.cli import cli

    reply = tmp_path / "reply.txt"
    reply.write_text("Dear requester,\nWe do not hold the information \x1b[2J\x07\x9brequested.\nOur ref: FOI 77\n")
    result = CliRunner().invoke(cli, ["classify", str(reply)], obj={})
    assert result.exit_code == 0, result.output
    assert "not_held" in result.output and "information" in result.output
    assert not any(ch in result.output for ch in "\x1b\x07\x9b")
