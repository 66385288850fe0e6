import jwt

KEY = open("/etc/key.pem").read()
AUDIENCE = "https://mcp.example.com/mcp"


def verify(token: str) -> dict:
    header = jwt.get_unverified_header(token)
    assert header.get("alg") == "RS256"
    return jwt.decode(token, KEY, algorithms=["RS256"], audience=AUDIENCE, issuer="https://login.example.com")
# ruff: noqa
