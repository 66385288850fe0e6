"""FastAPI: the token of the OAuth2 scheme forwarded to the downstream API."""
import httpx
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="https://login.example.com/token")


@app.get("/repos")
async def repos(token: str = Depends(oauth2_scheme)) -> list:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
        return (await client.get("https://api.example.com/repos")).json()
# ruff: noqa
