import jwt
from jose import jwt as jose_jwt

KEY = open("/etc/key.pem").read()


def verify(token: str) -> dict:
    return jwt.decode(token, KEY, algorithms=["RS256"], issuer="https://login.example.com")


def verify_no_aud(token: str) -> dict:
    return jwt.decode(
        token, KEY, algorithms=["RS256"], issuer="https://login.example.com", options={"verify_aud": False}
    )


def peek(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def jose_verify(token: str) -> dict:
    return jose_jwt.decode(token, KEY, algorithms=["RS256"], issuer="https://login.example.com")
# ruff: noqa
