"""The demo's own mail server and mailbox: a local SMTP server (aiosmtpd) that keeps every mail it receives as an
``.eml`` file in a folder (``instance/demo-mail``), and the reading side that Admin > Demo mailbox shows.

``python3 dev.py demo`` starts the server beside ``flask run`` and the worker and points ``LMS_SMTP_HOST`` /
``LMS_SMTP_PORT`` at it and ``LMS_DEMO_MAILBOX`` at the folder, so mail in the demo is delivered and readable
without a real relay. Run it alone with ``python -m lms.mail.demo_mailbox --port 2525 --folder instance/demo-mail``.
The server needs aiosmtpd (a test dependency, which ``dev.py`` installs); the reading side needs nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from lms.errors import NotFound

NAME = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9]{6}-[0-9a-f]{8}\.eml$")  # what the server writes; nothing else is read
MAX_LISTED = 500


class FolderHandler:
    """aiosmtpd handler: each message accepted becomes one file, written whole before the 250 goes back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler name)
        with self._lock:
            self._count += 1
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            name = f"{stamp}-{self._count:06d}-{os.urandom(4).hex()}.eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode())
        temporary.replace(self.folder / name)  # readers never see half a mail
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class DemoMail:
    name: str
    subject: str
    to: str
    sender: str
    date: datetime | None
    text: str
    html: str | None

    @property
    def links(self) -> list[str]:
        """The http(s) links of the text part, in order, each once."""
        seen: list[str] = []
        for link in re.findall(r"https?://[^\s<>\"')]+", self.text):
            if link not in seen:
                seen.append(link)
        return seen


def _parse(path: Path) -> DemoMail:
    message: EmailMessage = message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[assignment]
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    try:
        date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return DemoMail(path.name, str(message["Subject"] or "(no subject)"), str(message["To"] or ""),
                    str(message["From"] or ""), date, text_part.get_content() if text_part else "",
                    html_part.get_content() if html_part else None)


def mails(folder: str | os.PathLike) -> list[DemoMail]:
    """The mails in the folder, newest first (at most ``MAX_LISTED``)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    names = sorted((p.name for p in root.iterdir() if NAME.match(p.name)), reverse=True)[:MAX_LISTED]
    return [_parse(root / name) for name in names]


def mail(folder: str | os.PathLike, name: str) -> DemoMail:
    """One mail by its file name; names the server did not write (``../``, say) are not found."""
    path = Path(folder) / name
    if not NAME.match(name) or not path.is_file():
        raise NotFound("There is no such mail in the demo mailbox.")
    return _parse(path)


def serve(host: str, port: int, folder: Path) -> None:
    """Run the SMTP server until SIGINT or SIGTERM."""
    from aiosmtpd.controller import Controller

    controller = Controller(FolderHandler(folder), hostname=host, port=port)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    controller.start()
    print(f"Demo SMTP server on {host}:{port}, keeping mail in {folder}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--folder", type=Path, default=Path("instance") / "demo-mail")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.folder)


if __name__ == "__main__":
    main()
