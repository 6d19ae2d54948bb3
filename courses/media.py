"""Media in lessons: images uploaded by trainers, and players (video, slides) embedded from hosts an admin allows.

Images are checked by their content (Pillow reads them; the name and the browser's type are not trusted), limited
in bytes and pixels, stored under the instance folder (``<instance>/media``) by a random key, and served with their
own content type and ``nosniff``. An object store is not built in: ``LMS_MEDIA_URL`` may point lesson images at a
CDN or bucket that mirrors the media folder.

Embeds are written on their own line as ``!embed[Title](https://host/path)``; they become sandboxed iframes only
for allowed hosts, and the lesson pages' Content-Security-Policy ``frame-src`` names exactly those hosts.
"""
from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from markupsafe import escape
from sqlalchemy import select

from courses import markdown
from courses.models import EmbedHost, MediaFile
from lms.audit.services import record as audit
from lms.errors import DomainError
from lms.extensions import db

IMAGE_TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "GIF": ("image/gif", "gif"),
               "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 40_000_000
EMBED_LINE = re.compile(r"^!embed\[([^\]\n]*)\]\((https://[^)\s]+)\)[ \t]*$", re.MULTILINE)
SANDBOX = "allow-scripts allow-same-origin allow-presentation allow-popups"


def media_folder() -> Path:
    folder = Path(current_app.instance_path, "media")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_image(data: bytes, filename: str, *, actor_id: int | None) -> MediaFile:
    """Store an uploaded image after checking what it really is. Raises DomainError for anything else."""
    from PIL import Image, UnidentifiedImageError

    limit = current_app.config["LMS_MEDIA_MAX_BYTES"]
    if not data:
        raise DomainError("The file is empty.", field="image")
    if len(data) > limit:
        raise DomainError(f"Images are at most {limit // 1024 // 1024} MiB.", field="image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DomainError("The image has too many pixels.", field="image")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError("This is not an image Rapport accepts (PNG, JPEG, GIF or WebP).", field="image") from None
    if kind not in IMAGE_TYPES:
        raise DomainError("Only PNG, JPEG, GIF and WebP images can be uploaded.", field="image")
    content_type, extension = IMAGE_TYPES[kind]
    key = f"{secrets.token_hex(16)}.{extension}"
    (media_folder() / key).write_bytes(data)
    media = MediaFile(key=key, filename=Path(filename or "image").name[:200], content_type=content_type,
                      size=len(data), uploaded_by_id=actor_id)
    db.session.add(media)
    db.session.flush()
    audit(actor_id, "media.upload", key, filename=media.filename, size=len(data))
    return media


def find(key: str) -> tuple[MediaFile, Path] | None:
    media = db.session.scalar(select(MediaFile).where(MediaFile.key == key))
    if media is None:
        return None
    path = media_folder() / media.key
    return (media, path) if path.is_file() else None


def markdown_for(media: MediaFile) -> str:
    from flask import url_for

    base = current_app.config.get("LMS_MEDIA_URL")
    src = f"{base.rstrip('/')}/{media.key}" if base else url_for("courses.media_file", key=media.key)
    alt = re.sub(r"[\[\]]", "", Path(media.filename).stem)
    return f"![{alt}]({src})"


# --- embeds ---------------------------------------------------------------------------------------------------

def allowed_hosts() -> list[str]:
    return list(db.session.scalars(select(EmbedHost.host).order_by(EmbedHost.host)))


def host_allowed(url: str, hosts: list[str]) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "") in hosts and not parts.username


def embed_problems(text: str, hosts: list[str] | None = None) -> list[tuple[int, str]]:
    """Embeds from hosts that are not allowed, as (line number, message): the editor and packs refuse them."""
    hosts = allowed_hosts() if hosts is None else hosts
    found = []
    for match in EMBED_LINE.finditer(text):
        if not host_allowed(match.group(2), hosts):
            host = urlsplit(match.group(2)).hostname
            found.append((text.count("\n", 0, match.start()) + 1,
                          f"embeds from {host} are not allowed (Admin > Embed hosts lists the allowed ones)"))
    return found


def render_lesson(text: str, hosts: list[str] | None = None) -> str:
    """Lesson Markdown to sanitised HTML, with allowed embeds as sandboxed iframes."""
    hosts = allowed_hosts() if hosts is None else hosts
    nonce = secrets.token_hex(8)
    frames: list[str] = []

    def protect(match: re.Match) -> str:
        title, url = match.group(1).strip() or "Embedded content", match.group(2)
        if not host_allowed(url, hosts):
            frames.append(f'<p class="embed-refused">{escape(title)}: this host is not allowed to be embedded.</p>')
        else:
            frames.append(f'<div class="embed"><iframe src="{escape(url)}" title="{escape(title)}" '
                          f'sandbox="{SANDBOX}" allow="fullscreen; picture-in-picture" loading="lazy" '
                          f'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>')
        return f"\n\nEMBED{nonce}X{len(frames) - 1}\n\n"

    html = markdown.render(EMBED_LINE.sub(protect, text))
    for number, frame in enumerate(frames):
        html = html.replace(f"<p>EMBED{nonce}X{number}</p>", frame)
    return html


def frame_src() -> str:
    """The CSP ``frame-src`` for pages that show lessons: exactly the allowed hosts ('none' without any)."""
    hosts = allowed_hosts()
    return "frame-src " + (" ".join(f"https://{h}" for h in hosts) if hosts else "'none'")


def add_host(host: str, *, actor_id: int | None) -> EmbedHost:
    host = host.strip().lower()
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", host):
        raise DomainError("Give a host name such as www.youtube-nocookie.com.", field="host")
    if db.session.scalar(select(EmbedHost).where(EmbedHost.host == host)):
        raise DomainError(f"{host} is already allowed.", field="host")
    row = EmbedHost(host=host)
    db.session.add(row)
    db.session.flush()
    audit(actor_id, "embed_host.add", host)
    return row


def remove_host(host_id: int, *, actor_id: int | None) -> None:
    row = db.session.get(EmbedHost, host_id)
    if row is not None:
        audit(actor_id, "embed_host.remove", row.host)
        db.session.delete(row)
        db.session.flush()
