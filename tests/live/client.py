"""A scripted user over HTTP (no browser): logs in through the form and posts forms with the CSRF
token of its session, as a browser would."""

from __future__ import annotations

import re

import requests

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class User:
    def __init__(self, base_url: str, email: str, password: str = "demo") -> None:
        self.base_url = base_url
        self.email = email
        self.session = requests.Session()
        self.token = self._token("/login")
        response = self.session.post(
            base_url + "/login",
            data={"email": email, "password": password, "csrf_token": self.token},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{email} could not log in: {response.status_code}")
        self.token = self._token("/")  # a fresh session after login, with its own token

    def _token(self, path: str) -> str:
        page = self.session.get(self.base_url + path, timeout=30)
        match = TOKEN.search(page.text)
        if match is None:
            raise RuntimeError(f"no CSRF token on {path} ({page.status_code})")
        return match.group(1)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=kwargs.pop("timeout", 60), **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        """POST a form; redirects are not followed (a 302 is how the application says "done")."""
        return self.session.post(
            self.base_url + path,
            data={**(data or {}), "csrf_token": self.token},
            allow_redirects=False,
            timeout=kwargs.pop("timeout", 60),
            **kwargs,
        )

    def flash_after(self, response: requests.Response) -> str:
        """The message the page shows after a redirect (success or refusal)."""
        page = self.session.get(self.base_url + response.headers["Location"], timeout=60).text
        match = re.search(r'role="alert"[^>]*>(.*?)<(?:button|/div)', page, flags=re.S)
        return re.sub(r"\s+", " ", match.group(1)).strip() if match else ""
