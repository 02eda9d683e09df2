"""Who may sign in to the console and the portal: accounts, passwords, sessions
and the sign-in rate limit.

Passwords are hashed with argon2id. A session is a random token in a cookie;
only its SHA-256 is stored, so a copy of the database cannot be used to sign
in. Sign-in attempts are kept in the database (not in memory) so the limit
holds across several app processes.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, Index, String, delete, select
from sqlmodel import Field, Session, SQLModel

from ..models import Department, ts_column
from ..tickets.viewer import Viewer

# Role code -> what people call it. An admin manages accounts and can also do
# an operator's work; in a ticket's history their actions count as the operator's.
ROLES = {
    "operator": "话务员/派单员",
    "department": "承办单位",
    "supervisor": "督办",
    "admin": "管理员",
}
CONSOLE_ROLES = ("operator", "supervisor", "admin")
PORTAL_ROLES = ("department",)
PASSWORD_MIN = 10
PASSWORD_MAX = 128

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs the
# same time as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=20)  # operator | department | supervisor | admin
    department_code: str | None = Field(default=None, foreign_key="department.code", max_length=64)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = ts_column()
    password_changed_at: datetime = ts_column()


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    account_id: int = Field(foreign_key="account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = ts_column()
    last_seen_at: datetime = ts_column()
    expires_at: datetime = ts_column()


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    ip: str = Field(max_length=64)
    at: datetime = ts_column()
    ok: bool = False


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- passwords

def normalize_username(username: str) -> str:
    return (username or "").strip().casefold()


def check_password_policy(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"密码至少需要 {PASSWORD_MIN} 个字符。")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"密码不能超过 {PASSWORD_MAX} 个字符。")
    if len(set(password)) < 4:
        raise AccountError("密码过于简单，请混合使用不同的字母、数字或符号。")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses outdated parameters)."""
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)


# ---------------------------------------------------------------- accounts

def create_account(session: Session, *, username: str, display_name: str, role: str, password: str,
                   now: datetime, department: str | None = None) -> Account:
    username = normalize_username(username)
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise AccountError("用户名不能为空、不能含空格，最长 64 个字符。")
    if not display_name.strip() or len(display_name) > 100:
        raise AccountError("请填写姓名或单位名称（最长 100 个字符）。")
    if role not in ROLES:
        raise AccountError(f"角色须为以下之一：{'、'.join(ROLES)}。")
    if role == "department":
        if not department or session.get(Department, department) is None:
            raise AccountError("承办单位账号须指定一个已有的单位代码（--department）。")
    elif department:
        raise AccountError("只有承办单位账号才绑定单位。")
    check_password_policy(password)
    if session.execute(select(Account.id).where(Account.username == username)).first():
        raise AccountError(f"用户名 {username} 已存在。")
    account = Account(username=username, display_name=display_name.strip(), role=role, department_code=department,
                      password_hash=hash_password(password), created_at=now, password_changed_at=now)
    session.add(account)
    session.flush()
    return account


def find_account(session: Session, username: str) -> Account | None:
    return session.execute(select(Account).where(Account.username == normalize_username(username))).scalars().first()


def set_password(session: Session, account: Account, password: str, now: datetime) -> None:
    """New password; every open session of the account ends (a reset is often
    done because someone else may know the old one)."""
    check_password_policy(password)
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    session.add(account)
    end_sessions_of(session, account.id)


def set_active(session: Session, account: Account, active: bool) -> None:
    account.active = active
    session.add(account)
    if not active:
        end_sessions_of(session, account.id)


def viewer_for(role: str, username: str, display_name: str, department: str | None) -> Viewer:
    """An account as the ticket core knows it."""
    return Viewer(role="operator" if role == "admin" else role, actor=f"{display_name}（{username}）"[:100],
                  department=department if role == "department" else None)


# ---------------------------------------------------------------- sign-in rate limit

@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # per username, since its last successful sign-in
    max_failures_per_ip: int = 20
    window: timedelta = timedelta(minutes=15)


def locked_until(account_failures: list[datetime], ip_failures: list[datetime], now: datetime,
                 policy: LoginPolicy) -> datetime | None:
    """When sign-in may be tried again, or None if it may be tried now.

    Pure: given the failed attempts inside the window, the lock lasts until
    enough of them have aged out of the window to fall below the limit."""
    until = None
    for failures, limit in ((account_failures, policy.max_failures), (ip_failures, policy.max_failures_per_ip)):
        recent = sorted(t for t in failures if t > now - policy.window)
        if len(recent) >= limit:
            free_at = recent[len(recent) - limit] + policy.window
            until = max(until, free_at) if until else free_at
    return until


@dataclass(frozen=True)
class SignIn:
    account: Account | None = None
    locked_until: datetime | None = None


def authenticate(session: Session, username: str, password: str, ip: str, now: datetime, policy: LoginPolicy) -> SignIn:
    """Check a sign-in attempt against the rate limit and the password; record it."""
    username = normalize_username(username)[:64]
    ip = (ip or "unknown")[:64]
    since = now - policy.window
    last_ok = session.execute(
        select(LoginAttempt.at).where(LoginAttempt.username == username, LoginAttempt.ok.is_(True))
        .order_by(LoginAttempt.at.desc()).limit(1)
    ).scalar()
    account_since = max(since, last_ok) if last_ok else since
    account_failures = session.execute(
        select(LoginAttempt.at).where(LoginAttempt.username == username, LoginAttempt.ok.is_(False),
                                      LoginAttempt.at > account_since)
    ).scalars().all()
    ip_failures = session.execute(
        select(LoginAttempt.at).where(LoginAttempt.ip == ip, LoginAttempt.ok.is_(False), LoginAttempt.at > since)
    ).scalars().all()
    until = locked_until(list(account_failures), list(ip_failures), now, policy)
    if until:
        return SignIn(locked_until=until)  # not recorded: waiting out the lock must end it

    account = find_account(session, username)
    ok, new_hash = verify_password(account.password_hash if account else _DUMMY_HASH, password)
    ok = ok and account is not None and account.active
    session.add(LoginAttempt(username=username, ip=ip, at=now, ok=ok))
    if not ok:
        return SignIn()
    if new_hash:
        account.password_hash = new_hash
        session.add(account)
    # Old attempts only matter inside the window; keep a day for the record.
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    return SignIn(account=account)


# ---------------------------------------------------------------- sessions

def _token_hash(token: str) -> str:
    # Session tokens are 256-bit random: a plain hash is enough (nothing to guess).
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, account: Account, now: datetime, max_age: timedelta) -> tuple[str, LoginSession]:
    """A fresh session (never reuse one from before sign-in). Returns the cookie value."""
    session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    row = LoginSession(token_hash=_token_hash(token), account_id=account.id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, last_seen_at=now, expires_at=now + max_age)
    session.add(row)
    session.flush()
    return token, row


def resume_session(session: Session, token: str, now: datetime, idle: timedelta) -> tuple[LoginSession, Account] | None:
    """The live session and its account for a cookie value, or None."""
    if not token or len(token) > 100:
        return None
    row = session.execute(select(LoginSession).where(LoginSession.token_hash == _token_hash(token))).scalars().first()
    if row is None:
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.active or now >= row.expires_at or now - row.last_seen_at > idle:
        session.delete(row)
        return None
    if now - row.last_seen_at > timedelta(minutes=1):  # no write on every click
        row.last_seen_at = now
        session.add(row)
    return row, account


def end_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def end_sessions_of(session: Session, account_id: int) -> None:
    session.execute(delete(LoginSession).where(LoginSession.account_id == account_id))
