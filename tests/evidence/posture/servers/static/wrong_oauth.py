import fnmatch
import re
from urllib.parse import urlencode

CLIENT_ID = "notes-mcp"


def authorize_url(redirect_uri: str) -> str:
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "state": "s"}
    return "https://login.example.com/authorize?" + urlencode(query)


def redirect_ok(redirect_uri: str) -> bool:
    return redirect_uri.startswith("https://app.example.com")


def redirect_ok_glob(redirect_uri: str) -> bool:
    return fnmatch.fnmatch(redirect_uri, "https://*.example.com/*")


def redirect_ok_regex(redirect_uri: str) -> bool:
    return bool(re.match(r"https://.*\.example\.com", redirect_uri))
# ruff: noqa
