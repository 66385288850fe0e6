import base64
import hashlib
import secrets
from urllib.parse import urlencode

CLIENT_ID = "notes-mcp"
REGISTERED = {"https://app.example.com/callback"}


def authorize_url(redirect_uri: str) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "https://login.example.com/authorize?" + urlencode(query), verifier


def redirect_ok(redirect_uri: str) -> bool:
    return redirect_uri in REGISTERED
# ruff: noqa
