import secrets
import uuid


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def other() -> str:
    session_id = uuid.uuid4().hex
    return session_id
# ruff: noqa
