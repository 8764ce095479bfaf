"""DigitalOcean's HTTP API as lispdeploy uses it: droplets (list by tag, get, create,
delete) and the account's SSH keys (get by fingerprint, register).

Every request has a connect and a read timeout; lists follow `links.pages.next` (only on the
API's own host, so that the token never goes anywhere else); reads and deletes are retried a
few times on rate limits, server errors and lost connections, creations never (a repeated
create could make a second droplet). Every failure becomes an `EnvironmentError_` naming the
droplet, the request and DigitalOcean's own message.

The base URL is `https://api.digitalocean.com`, or `LISPDEPLOY_DIGITAL_OCEAN_URL` (tests point
it at a fake server); the token comes from `LISPDEPLOY_DIGITAL_OCEAN_TOKEN` or Guix's
`GUIX_DIGITAL_OCEAN_TOKEN`. This is the only module of lispdeploy that imports requests;
it imports errors besides.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import requests

from lispdeploy import __version__
from lispdeploy.errors import EnvironmentError_

DEFAULT_URL = "https://api.digitalocean.com"
URL_VARIABLE = "LISPDEPLOY_DIGITAL_OCEAN_URL"
TOKEN_VARIABLES = ("LISPDEPLOY_DIGITAL_OCEAN_TOKEN", "GUIX_DIGITAL_OCEAN_TOKEN")
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
PER_PAGE = 200  # the most DigitalOcean gives per page
MAX_PAGES = 500
ATTEMPTS = 3  # for reads and deletes
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRY_WAIT = 10.0

_HINTS = {
    401: "the token was refused: check LISPDEPLOY_DIGITAL_OCEAN_TOKEN (or "
         "GUIX_DIGITAL_OCEAN_TOKEN); tokens are made in DigitalOcean's control panel, API > "
         "Tokens",
    403: "the token lacks the write scope, or the team does not allow this",
    429: "DigitalOcean's rate limit was reached: wait a minute and run the command again",
}


@dataclass(frozen=True)
class Droplet:
    """A droplet as the API describes it (the fields lispdeploy reads)."""

    id: int
    name: str
    status: str
    tags: Tuple[str, ...] = ()
    public_ipv4: Optional[str] = None
    region: str = ""
    size: str = ""
    image: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Droplet":
        """A droplet from the API's JSON object."""
        networks = (data.get("networks") or {}).get("v4") or []
        public = next((n.get("ip_address") for n in networks if n.get("type") == "public"),
                      None)
        region = data.get("region") or {}
        image = data.get("image") or {}
        return cls(id=int(data["id"]), name=str(data["name"]), status=str(data["status"]),
                   tags=tuple(data.get("tags") or ()), public_ipv4=public,
                   region=str(region.get("slug", "")) if isinstance(region, dict) else "",
                   size=str(data.get("size_slug", "")),
                   image=str(image.get("slug") or "") if isinstance(image, dict) else "")


@dataclass(frozen=True)
class DropletRequest:
    """What a new droplet is made of (the body of `POST /v2/droplets`)."""

    name: str
    region: str
    size: str
    image: str
    ipv6: bool = False
    tags: Tuple[str, ...] = ()
    ssh_keys: Tuple[str, ...] = ()
    user_data: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        """The request body."""
        body: Dict[str, Any] = {
            "name": self.name, "region": self.region, "size": self.size, "image": self.image,
            "ssh_keys": list(self.ssh_keys), "backups": False, "ipv6": self.ipv6,
            "monitoring": False, "tags": list(self.tags)}
        if self.user_data is not None:
            body["user_data"] = self.user_data
        return body


@dataclass(frozen=True)
class SshKey:
    """An SSH public key registered in the account."""

    id: int
    name: str
    fingerprint: str
    public_key: str = field(default="", repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SshKey":
        """A key from the API's JSON object."""
        return cls(id=int(data["id"]), name=str(data.get("name", "")),
                   fingerprint=str(data["fingerprint"]),
                   public_key=str(data.get("public_key", "")))


def token_from(environ: Mapping[str, str], subject: str) -> str:
    """The API token from the environment; a missing one is an error naming both
    variables."""
    for name in TOKEN_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return value
    raise EnvironmentError_(
        f"{subject}: no DigitalOcean API token: neither {TOKEN_VARIABLES[0]} nor "
        f"{TOKEN_VARIABLES[1]} is set",
        hint=f"export {TOKEN_VARIABLES[0]}=... with a personal access token that can read "
             "and write (DigitalOcean's control panel, API > Tokens)")


def base_url_from(environ: Mapping[str, str]) -> str:
    """The API's base URL: DigitalOcean's, or LISPDEPLOY_DIGITAL_OCEAN_URL."""
    url = environ.get(URL_VARIABLE, "").strip() or DEFAULT_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise EnvironmentError_(f"{URL_VARIABLE}={url!r} is not an http(s) URL",
                                hint=f"unset it to use {DEFAULT_URL}")
    return url.rstrip("/")


class DigitalOceanApi:
    """A client of DigitalOcean's API for one droplet's work (`subject` names the droplet in
    every message). Use `from_environment`, and close it (it is a context manager)."""

    def __init__(self, token: str, *, base_url: str = DEFAULT_URL, subject: str = "",
                 session: Optional[requests.Session] = None):
        self.base_url = base_url.rstrip("/")
        self.subject = subject or "DigitalOcean"
        self.requests = 0
        self._origin = _origin(self.base_url)
        self._session = session or requests.Session()
        self._session.headers.update({
            "Authorization": f"Bearer {token}", "Accept": "application/json",
            "User-Agent": f"lispdeploy/{__version__}"})

    @classmethod
    def from_environment(cls, subject: str,
                         environ: Optional[Mapping[str, str]] = None) -> "DigitalOceanApi":
        """A client with the token and URL of the environment variables."""
        environ = os.environ if environ is None else environ
        return cls(token_from(environ, subject), base_url=base_url_from(environ),
                   subject=subject)

    def close(self) -> None:
        """Close the client's connections."""
        self._session.close()

    def __enter__(self) -> "DigitalOceanApi":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Droplets --------------------------------------------------------------------------------

    def droplets(self, tag_name: str) -> List[Droplet]:
        """Every droplet carrying the tag `tag_name`, all pages."""
        return [Droplet.from_json(d) for d in self._pages(
            "/v2/droplets", "droplets", {"tag_name": tag_name}, f"listing droplets tagged "
            f"{tag_name}")]

    def droplet(self, droplet_id: int) -> Droplet:
        """The droplet `droplet_id` as it is now."""
        answer = self._request("GET", f"/v2/droplets/{droplet_id}",
                               what=f"reading droplet {droplet_id}")
        return Droplet.from_json(self._member(answer, "droplet", "GET /v2/droplets/ID"))

    def create_droplet(self, request: DropletRequest) -> Droplet:
        """Create a droplet; returns it as just created (status `new`)."""
        answer = self._request("POST", "/v2/droplets", body=request.to_json(),
                               what=f"creating droplet {request.name}")
        return Droplet.from_json(self._member(answer, "droplet", "POST /v2/droplets"))

    def delete_droplet(self, droplet_id: int) -> bool:
        """Delete a droplet; False if it was already gone."""
        answer = self._request("DELETE", f"/v2/droplets/{droplet_id}", missing_ok=True,
                               what=f"deleting droplet {droplet_id}")
        return answer is not None

    # SSH keys --------------------------------------------------------------------------------

    def ssh_key(self, fingerprint: str) -> Optional[SshKey]:
        """The account's key with this MD5 fingerprint, or None."""
        answer = self._request("GET", f"/v2/account/keys/{fingerprint}", missing_ok=True,
                               what=f"looking up SSH key {fingerprint}")
        if answer is None:
            return None
        return SshKey.from_json(self._member(answer, "ssh_key", "GET /v2/account/keys/FP"))

    def create_ssh_key(self, name: str, public_key: str) -> SshKey:
        """Register a public key in the account."""
        answer = self._request("POST", "/v2/account/keys",
                               body={"name": name, "public_key": public_key},
                               what="registering the SSH key")
        return SshKey.from_json(self._member(answer, "ssh_key", "POST /v2/account/keys"))

    # Requests --------------------------------------------------------------------------------

    def _pages(self, path: str, member: str, params: Dict[str, Any],
               what: str) -> Iterator[Dict[str, Any]]:
        url: Optional[str] = self.base_url + path
        query: Optional[Dict[str, Any]] = {**params, "per_page": PER_PAGE}
        for _ in range(MAX_PAGES):
            answer = self._request("GET", url, params=query, what=what)
            items = self._member(answer, member, f"GET {path}")
            if not isinstance(items, list):
                raise self._malformed(f"GET {path}", f"'{member}' is not a list")
            yield from items
            url = ((answer.get("links") or {}).get("pages") or {}).get("next")
            if not url:
                return
            if _origin(url) != self._origin:
                raise EnvironmentError_(
                    f"{self.subject}: DigitalOcean's API sent a next page on another server "
                    f"({_origin(url)}) while {what}; lispdeploy does not send its token there")
            query = None  # the next link carries the whole query
        raise EnvironmentError_(f"{self.subject}: more than {MAX_PAGES} pages while {what}")

    def _request(self, method: str, path_or_url: str, *, what: str,
                 params: Optional[Dict[str, Any]] = None, body: Optional[Dict] = None,
                 missing_ok: bool = False) -> Optional[Dict[str, Any]]:
        """One API request, retried when safe; the JSON answer ({} for an empty body), or
        None for a 404 when `missing_ok`."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        shown = f"{method} {urllib.parse.urlsplit(url).path}"
        attempts = 1 if method == "POST" else ATTEMPTS
        for attempt in range(1, attempts + 1):
            self.requests += 1
            try:
                response = self._session.request(method, url, params=params, json=body,
                                                 timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
            except requests.RequestException as e:
                if attempt < attempts:
                    time.sleep(min(2.0 ** attempt, MAX_RETRY_WAIT))
                    continue
                raise EnvironmentError_(
                    f"{self.subject}: cannot reach DigitalOcean's API at {self.base_url} while "
                    f"{what} ({shown}): {_reason(e)}",
                    hint=f"check the network (or {URL_VARIABLE}) and run the command again") \
                    from None
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                time.sleep(_retry_wait(response, attempt))
                continue
            if response.status_code == 404 and missing_ok:
                return None
            if not 200 <= response.status_code < 300:
                raise self._refused(response, shown, what)
            if response.status_code == 204 or not response.content:
                return {}
            try:
                answer = response.json()
            except ValueError:
                raise self._malformed(shown, "the answer is not JSON") from None
            if not isinstance(answer, dict):
                raise self._malformed(shown, "the answer is not a JSON object")
            return answer
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _refused(self, response: requests.Response, shown: str,
                 what: str) -> EnvironmentError_:
        try:
            data = response.json()
            message = str(data.get("message") or data.get("id") or "") \
                if isinstance(data, dict) else ""
        except ValueError:
            message = response.text.strip()[:200]
        reason = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
        return EnvironmentError_(
            f"{self.subject}: DigitalOcean refused {what} ({shown}): {reason}"
            + (f": {message}" if message else ""),
            hint=_HINTS.get(response.status_code))

    def _member(self, answer: Optional[Dict[str, Any]], member: str, shown: str) -> Any:
        if not answer or member not in answer:
            raise self._malformed(shown, f"no '{member}' in the answer")
        return answer[member]

    def _malformed(self, shown: str, reason: str) -> EnvironmentError_:
        return EnvironmentError_(f"{self.subject}: unexpected answer from DigitalOcean's API "
                                 f"to {shown}: {reason}",
                                 hint=f"is {self.base_url} DigitalOcean's API?")


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _retry_wait(response: requests.Response, attempt: int) -> float:
    """Seconds to wait before retrying: what the server asks (Retry-After), else a back-off,
    never more than MAX_RETRY_WAIT."""
    asked = response.headers.get("Retry-After", "")
    try:
        wait = float(asked)
    except ValueError:
        wait = 2.0 ** attempt
    return max(0.0, min(wait, MAX_RETRY_WAIT))


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if isinstance(error, requests.ConnectionError):
        return "connection refused" if "refused" in str(error) else "connection failed"
    return type(error).__name__
