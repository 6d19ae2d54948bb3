"""Imports every host model so the ORM and Alembic see the whole schema."""
from lms.audit.models import AuditEvent
from lms.auth.models import AuthSession, Invitation, LoginAttempt, LoginThrottle
from lms.mail.models import OutgoingMail
from lms.people.models import Department, JobRole, Person, PersonPermission, RolloutWave

__all__ = ["AuditEvent", "AuthSession", "Department", "Invitation", "JobRole", "LoginAttempt", "LoginThrottle",
           "OutgoingMail", "Person", "PersonPermission", "RolloutWave"]
