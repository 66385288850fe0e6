"""The same passthrough through every common client: urllib, aiohttp, a requests session."""
import urllib.request

import aiohttp
import requests
from fastapi import FastAPI, Header

app = FastAPI()
session = requests.Session()


@app.get("/a")
def via_urllib(authorization: str = Header(...)) -> bytes:
    req = urllib.request.Request("https://api.example.com/a", headers={"Authorization": authorization})
    return urllib.request.urlopen(req).read()


@app.get("/b")
async def via_aiohttp(authorization: str = Header(...)) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get("https://api.example.com/b", headers={"Authorization": authorization}) as r:
            return await r.text()


@app.get("/c")
def via_session(authorization: str = Header(...)) -> str:
    session.headers.update({"Authorization": authorization})
    return session.get("https://api.example.com/c").text
# ruff: noqa
