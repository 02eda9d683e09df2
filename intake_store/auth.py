"""API tokens: issued once, stored only as a hash, looked up per request."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlmodel import Session

from .models import ApiToken, Department, utcnow
from .tickets.viewer import Viewer

# partner: another system that files complaints and reads public data through
# Open311, nothing else (the service token is the assistant's and sees everything).
ROLES = ("service", "partner", "operator", "department", "supervisor")


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a plain SHA-256 is enough (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, role: str, department: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "department":
        if not department or session.get(Department, department) is None:
            raise ValueError("a department token needs an existing department code")
    elif department:
        raise ValueError("only department tokens name a department")
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role, department_code=department, token_hash=hash_token(token), created_at=utcnow()))
    return token


def viewer_for_token(session: Session, token: str, service_token: str | None) -> Viewer | None:
    if service_token and hmac.compare_digest(token.encode(), service_token.encode()):
        return Viewer(role="service", actor="service")
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False))
    ).scalars().first()
    if row is None:
        return None
    return Viewer(role=row.role, actor=row.name, department=row.department_code)
