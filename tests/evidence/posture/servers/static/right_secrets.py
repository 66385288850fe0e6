import os

OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
client_secret = "your-client-secret-here"
api_key = "<API_KEY>"
token_url = "https://login.example.com/oauth2/token"
password_field = "password"
EXAMPLE = "sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
# ruff: noqa
