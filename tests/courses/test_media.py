"""Lesson images (checked by content, size-limited, stored under the instance folder, served with their type and
nosniff) and embeds from the admin's allowlist (sandboxed iframes; the lesson page's CSP frame-src names exactly
the allowed hosts)."""
from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from courses import authoring, media
from courses.authoring import LessonInfo
from courses.enrolment import enrol
from courses.models import MediaFile
from lms.errors import DomainError
from lms.extensions import db
from lms.permissions import Permission
from tests.conftest import post_form
from tests.courses.builders import build_course


def png(size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, data: bytes, name: str):
    return post_form(client, "/learning/author/media", {"image": (io.BytesIO(data), name)},
                     content_type="multipart/form-data")


def test_an_image_is_checked_by_content_stored_and_served_safely(app, client, factory, as_person):
    as_person(factory.person(permissions=(Permission.TRAINER, Permission.LEARNER)))
    response = upload(client, png(), "chart.txt")  # the name says text; the content is a PNG
    assert response.status_code == 302
    row = db.session.scalar(select(MediaFile))
    assert row.content_type == "image/png" and row.key.endswith(".png") and row.filename == "chart.txt"
    stored = Path(app.instance_path, "media", row.key)
    assert stored.read_bytes() == png()
    assert "![chart](/learning/media/" in client.get("/learning/author/media").get_data(as_text=True)
    served = client.get(f"/learning/media/{row.key}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png()
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/learning/media/missing.png").status_code == 404

    html_as_png = b"<html><script>alert(1)</script></html>"
    refused = upload(client, html_as_png, "evil.png")
    assert refused.status_code == 400 and "not an image Rapport accepts" in refused.get_data(as_text=True)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert upload(client, svg, "x.svg").status_code == 400
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, "BMP")
    assert "Only PNG, JPEG, GIF and WebP" in upload(client, buffer.getvalue(), "x.bmp").get_data(as_text=True)
    app.config["LMS_MEDIA_MAX_BYTES"] = 100
    assert "at most" in upload(client, png((60, 60)), "big.png").get_data(as_text=True)
    assert db.session.scalar(select(MediaFile.id).where(MediaFile.filename != "chart.txt")) is None


def test_images_need_a_signed_in_person_and_uploads_a_trainer(client, factory, as_person):
    as_person(factory.person())
    assert client.get("/learning/author/media").status_code == 403


def test_embeds_only_from_allowed_hosts_and_the_csp_names_exactly_them(client, factory, as_person):
    admin = factory.person(permissions=(Permission.ADMIN, Permission.TRAINER, Permission.LEARNER))
    as_person(admin)
    for host in ("www.youtube-nocookie.com", "player.vimeo.com"):
        assert post_form(client, "/learning/admin/embed-hosts", {"host": host}).status_code == 302
    assert post_form(client, "/learning/admin/embed-hosts", {"host": "not a host"}).status_code == 400
    course = build_course("video", lessons=0, questions=0, publish=False)
    module = course.modules[0]
    good = "Watch this:\n\n!embed[Pipeline tour](https://www.youtube-nocookie.com/embed/abc123)\n"
    lesson = authoring.save_lesson(module, LessonInfo(title="Tour", body=good))
    try:
        authoring.save_lesson(module, LessonInfo(title="Bad", body="!embed[x](https://evil.example.com/p)\n"))
        raise AssertionError("an embed from a host that is not allowed was saved")
    except DomainError as error:
        assert "embeds from evil.example.com are not allowed" in error.message
    authoring.publish(course, actor_id=None)
    enrolment = enrol(admin, course)
    db.session.commit()
    page = client.get(f"/learning/e/{enrolment.id}/lesson/{lesson.slug}")
    html = page.get_data(as_text=True)
    frame = re.search(r"<iframe [^>]+>", html).group(0)
    assert 'src="https://www.youtube-nocookie.com/embed/abc123"' in frame and 'sandbox="' in frame
    assert 'title="Pipeline tour"' in frame
    csp = page.headers["Content-Security-Policy"]
    assert "frame-src https://player.vimeo.com https://www.youtube-nocookie.com" in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "frame-src" not in client.get("/learning/").headers["Content-Security-Policy"]
    # An embed whose host was removed later is a notice, not a frame, in new renders.
    assert "not allowed to be embedded" in media.render_lesson(good, hosts=[])
    assert "<iframe" not in media.render_lesson("<iframe src='https://www.youtube-nocookie.com/x'></iframe>",
                                                hosts=["www.youtube-nocookie.com"])
