"""An SMTP server for tests (aiosmtpd) that stores every message it accepts in a Maildir.

A recipient whose address contains "+reject-once" is refused with 450 the first time it is
seen, and accepted after: this lets tests cause a real transient SMTP failure.
Each stored message starts with an "X-Envelope-To:" header naming its recipients.
"""
import argparse
import asyncio
import mailbox
import os

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, maildir):
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=True)
        self.refused = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "+reject-once" in address and address not in self.refused:
            self.refused.add(address)
            return "450 4.2.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        head = ("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode()
        self.box.add(head + envelope.original_content)
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--maildir", required=True)
    a = p.parse_args()
    controller = Controller(Handler(a.maildir), hostname=a.host, port=a.port)
    controller.start()
    print(f"smtp sink on {a.host}:{a.port}, maildir {a.maildir}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
