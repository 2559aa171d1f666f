"""The SMTP test server itself: TLS modes, AUTH and each injected fault behave as documented."""
import asyncio
import ssl

import aiosmtplib
import pytest
from email.message import EmailMessage


def msg(to="a@b.example"):
    m = EmailMessage(); m["From"]="x@y.example"; m["To"]=to; m["Subject"]="hi"; m.set_content("body"); return m

@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_modes(make_smtp_server, security, tmp_path):
    s = make_smtp_server(security=security, username="u", password="p")
    ctx = ssl.create_default_context(cafile=s.ca_file) if s.ca_file else None
    async def go():
        kw = dict(hostname=s.host, port=s.port, username="u", password="p")
        if security == "none": kw["start_tls"] = False
        elif security == "starttls": kw.update(start_tls=True, tls_context=ctx)
        else: kw.update(use_tls=True, tls_context=ctx)
        await aiosmtplib.send(msg(), **kw)
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            kw["password"] = "bad"; await aiosmtplib.send(msg(), **kw)
    asyncio.run(go())
    assert len(s.received) == 1 and s.received[0].subject == "hi"

def test_faults(smtp_server):
    s = smtp_server
    s.fail_next(1); s.drop_next(1); s.reject_recipient("bad@b.example")
    async def go():
        async with aiosmtplib.SMTP(hostname=s.host, port=s.port, start_tls=False) as c:
            with pytest.raises(aiosmtplib.SMTPResponseException) as e:
                await c.send_message(msg())
            assert e.value.code == 451
            with pytest.raises(aiosmtplib.SMTPServerDisconnected):
                await c.send_message(msg())
        async with aiosmtplib.SMTP(hostname=s.host, port=s.port, start_tls=False) as c:
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
                await c.send_message(msg("bad@b.example"))
            await c.send_message(msg())
    asyncio.run(go())
    assert len(s.received) == 1
