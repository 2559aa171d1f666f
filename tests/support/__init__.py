"""Everything a test needs to set the scene, in one package (real parts only; fake only the far end).

| module | what it gives a test |
|---|---|
| `support.smtp` | a real SMTP server (aiosmtpd) on 127.0.0.1 and its faults (pytest plugin: `smtp_server`, `make_smtp_server`) |
| `support.imap` | a real Dovecot on 127.0.0.1, a TCP proxy to break links (plugin: `dovecot`, `imap_user`, `own_dovecot`) |
| `support.oauth` | an OAuth2 authorization server, Dovecot and aiosmtpd that check its tokens (plugin) |
| `support.postfix` | a real Postfix on 127.0.0.1 (submission, STARTTLS, SASL through the suite's Dovecot, sender login maps), relaying to `smtp_server` (plugin: `postfix`) |
| `support.run` | `foibot(...)`: the command run as a campaigner runs it; `authorities_csv`, `rows` |
| `support.mail` | mail to deliver: `reply`, `reply_to` (an answer to a request the SMTP server received), `dsn`, PDF (`pdf_file`) and DOCX letters, the review queue's letters, the fixture replies (`FIXTURES`) |
| `support.mail_shapes` | bounces, delay warnings, auto-replies and list mail in the shape each MTA and mail program sends them |
| `support.campaigns` | `StoreCampaign` (store, outbox, lifecycle; no server) and `MailCampaign`/`sent_campaign` (sent through `foibot send`, replies through Dovecot; `poll()`, `through_proxy()`) |
| `support.published` | `fixture_campaign`: the Fusus request sent through `foibot send`, the labelled verdict fixtures filed as replies (publishing, verdicts, redaction) |
| `support.outcomes` | a finished campaign's database, every outcome and status, for the publishing tests |
| `support.inbox` | a scratch mailbox on Dovecot filed straight into a store |
| `support.web` | Debian's chromium through Playwright (plugin: `chromium`), `open_page`, `open_file` (a page written to disk: every request it made, script errors), raw `http`, screenshots; `build`: a `WebCampaign` for the workspace |
| `support.faults` | a foibot process to kill at a random moment, and the checks after it |
"""
