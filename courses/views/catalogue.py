"""The learner's catalogue (search over the published courses they may take), their transcript, the certificate
as a PDF, and the public page that checks a certificate's reference."""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from courses import learning, overview, records
from courses.enrolment import today
from courses.models import Enrolment
from courses.views import bp
from lms.extensions import db
from lms.permissions import Permission, public, requires

CERTIFICATE_CSS = Path(__file__).resolve().parent.parent / "static" / "certificate.css"


@bp.route("/catalogue")
@requires(Permission.LEARNER)
def catalogue() -> str:
    search = (request.args.get("q") or "").strip()[:200]
    return render_template("courses/learner/catalogue.html", entries=overview.catalogue(current_user, search),
                           search=search)


@bp.route("/transcript")
@requires(Permission.LEARNER)
def transcript() -> str:
    return render_template("courses/learner/transcript.html", lines=records.transcript(current_user.id),
                           today=today())


def _certified(enrolment_id: int) -> Enrolment:
    enrolment = learning.learner_enrolment(current_user, enrolment_id)
    if enrolment.status != "completed" or enrolment.remedial_module:
        abort(404)
    if enrolment.certificate_ref is None:  # completed before references existed
        import secrets

        enrolment.certificate_ref = secrets.token_urlsafe(18)
        db.session.commit()
    return enrolment


@bp.route("/e/<int:enrolment_id>/certificate.pdf")
@requires(Permission.LEARNER)
def certificate_pdf(enrolment_id: int) -> Response:
    from weasyprint import CSS, HTML

    enrolment = _certified(enrolment_id)
    verify = request.host_url.rstrip("/") + url_for("courses.verify_certificate", reference=enrolment.certificate_ref)
    html = render_template("courses/learner/certificate_pdf.html", enrolment=enrolment,
                           version=learning.version_of(enrolment), verify_url=verify)
    # No fetching while rendering: everything the certificate shows is in the HTML and the stylesheet.
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[CSS(filename=str(CERTIFICATE_CSS))])
    name = f"certificate-{enrolment.course.slug}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"certificates load nothing from outside ({url})")


@bp.route("/verify/<reference>")
@public
def verify_certificate(reference: str) -> tuple[str, int]:
    """Anyone holding a certificate's reference can check it: the name, the course and the date, nothing else."""
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.certificate_ref == reference[:40],
                                                          Enrolment.status == "completed"))
    return render_template("courses/learner/verify.html", enrolment=enrolment,
                           reference=reference[:40]), 200 if enrolment else 404
