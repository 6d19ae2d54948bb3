"""The campaign report page and its CSV export."""
from __future__ import annotations

import re

from flask import Response, render_template

from comms import campaigns as service
from comms.report import campaign_report, report_csv
from comms.views import bp, office
from lms.extensions import db


@bp.route("/campaigns/<int:campaign_id>/report")
@office
def report(campaign_id: int) -> str:
    campaign = service.get(campaign_id)
    if service.settle(campaign):
        db.session.commit()
    return render_template("comms/report.html", report=campaign_report(campaign), campaign=campaign,
                           progress=service.progress(campaign))


@bp.route("/campaigns/<int:campaign_id>/report.csv")
@office
def report_download(campaign_id: int) -> Response:
    campaign = service.get(campaign_id)
    name = re.sub(r"[^A-Za-z0-9]+", "-", campaign.name).strip("-").lower() or "campaign"
    return Response(report_csv(campaign_report(campaign)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-report.csv"'})
