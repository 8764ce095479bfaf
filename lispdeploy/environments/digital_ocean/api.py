"""DigitalOcean's HTTP API as lispdeploy uses it: droplets (list by tag, get, create,
delete, tag) and the account's SSH keys (get by fingerprint, register).

Every request has a connect and a read timeout; lists follow `links.pages.next` (only on the
API's own host, so that the token never goes anywhere else). Requests that are safe to repeat
(reads, deletes, tagging) are tried up to ATTEMPTS times on a rate limit (429: as long as
`Retry-After` says, else until `ratelimit-reset`; failing at once, saying when, if that is
more than MAX_RATE_LIMIT_WAIT away), a server error (5xx), a refused or lost connection and
a timeout, with a growing back-off between attempts; each wait is told to `on_retry`.
Creations are never repeated (a second POST could make a second droplet): a creation whose
answer was lost is an `ApiUnreachable` whose `sent` says it may have happened, and the
provisioner looks for the droplet instead. Every failure becomes an `EnvironmentError_`
naming the droplet, the request and DigitalOcean's own message.

The base URL is `https://api.digitalocean.com`, or `LISPDEPLOY_DIGITAL_OCEAN_URL` (tests point
it at a fake server); the token comes from `LISPDEPLOY_DIGITAL_OCEAN_TOKEN` or Guix's
`GUIX_DIGITAL_OCEAN_TOKEN`. This is the only module of lispdeploy that imports requests;
it imports errors besides.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

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
ATTEMPTS = 5  # for reads, deletes and other requests safe to repeat
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRY_WAIT = 16.0  # the longest back-off between two attempts
MAX_RATE_LIMIT_WAIT = 90.0  # longer than this until the limit resets: fail, saying when

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


class ApiUnreachable(EnvironmentError_):
    """No answer from the API: `sent` says whether the request may have reached it (then a
    creation may have happened, and must be looked for rather than repeated)."""

    def __init__(self, message: str, *, sent: bool = True, **kwargs):
        super().__init__(message, **kwargs)
        self.sent = sent


class DigitalOceanApi:
    """A client of DigitalOcean's API for one droplet's work (`subject` names the droplet in
    every message). Use `from_environment`, and close it (it is a context manager)."""

    def __init__(self, token: str, *, base_url: str = DEFAULT_URL, subject: str = "",
                 session: Optional[requests.Session] = None,
                 on_retry: Optional[Callable[[str], None]] = None,
                 connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 attempts: int = ATTEMPTS):
        self.base_url = base_url.rstrip("/")
        self.subject = subject or "DigitalOcean"
        self.requests = 0
        self.retries = 0
        self.on_retry = on_retry
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.attempts = attempts
        self._origin = _origin(self.base_url)
        self._session = session or requests.Session()
        self._session.headers.update({
            "Authorization": f"Bearer {token}", "Accept": "application/json",
            "User-Agent": f"lispdeploy/{__version__}"})

    @classmethod
    def from_environment(cls, subject: str, environ: Optional[Mapping[str, str]] = None,
                         **options: Any) -> "DigitalOceanApi":
        """A client with the token and URL of the environment variables; `options` go to
        the constructor (on_retry, timeouts, attempts)."""
        environ = os.environ if environ is None else environ
        return cls(token_from(environ, subject), base_url=base_url_from(environ),
                   subject=subject, **options)

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

    def tag_droplet(self, droplet_id: int, tag: str) -> None:
        """Give a droplet the tag `tag` (made first if the account lacks it)."""
        self._request("POST", "/v2/tags", body={"name": tag}, what=f"making tag {tag}",
                      retry=True)
        self._request("POST", f"/v2/tags/{urllib.parse.quote(tag, safe='')}/resources",
                      body={"resources": [{"resource_id": str(droplet_id),
                                           "resource_type": "droplet"}]},
                      what=f"tagging droplet {droplet_id} {tag}", retry=True)

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
                 missing_ok: bool = False, retry: Optional[bool] = None
                 ) -> Optional[Dict[str, Any]]:
        """One API request, retried when that is safe (see the module docstring; `retry`
        says whether a POST is safe to repeat); the JSON answer ({} for an empty body), or
        None for a 404 when `missing_ok`."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        shown = f"{method} {urllib.parse.urlsplit(url).path}"
        repeatable = method != "POST" if retry is None else retry
        attempts = self.attempts if repeatable else 1
        for attempt in range(1, attempts + 1):
            self.requests += 1
            try:
                response = self._session.request(method, url, params=params, json=body,
                                                 timeout=(self.connect_timeout,
                                                          self.read_timeout))
            except requests.RequestException as e:
                if attempt < attempts:
                    self._wait(_back_off(attempt), f"{_reason(e)}, {what}")
                    continue
                tried = f" ({attempt} attempts)" if attempt > 1 else ""
                raise ApiUnreachable(
                    f"{self.subject}: cannot reach DigitalOcean's API at {self.base_url} while "
                    f"{what} ({shown}): {_reason(e)}{tried}",
                    hint=f"check the network (or {URL_VARIABLE}) and run the command again",
                    sent=not isinstance(e, requests.ConnectTimeout)) from None
            status = response.status_code
            if status in RETRY_STATUSES and attempt < attempts:
                wait = _retry_wait(response, attempt)
                if wait > MAX_RATE_LIMIT_WAIT:
                    raise self._rate_limited(response, shown, what, wait)
                self._wait(wait, f"HTTP {status}, {what}")
                continue
            if status == 404 and missing_ok:
                return None
            if not 200 <= status < 300:
                if status == 429:
                    raise self._rate_limited(response, shown, what,
                                             _retry_wait(response, attempt))
                raise self._refused(response, shown, what)
            if status == 204 or not response.content:
                return {}
            try:
                answer = response.json()
            except ValueError:
                raise self._malformed(shown, "the answer is not JSON") from None
            if not isinstance(answer, dict):
                raise self._malformed(shown, "the answer is not a JSON object")
            return answer
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, seconds: float, why: str) -> None:
        """Wait before trying a request again, saying so (`on_retry`)."""
        self.retries += 1
        if self.on_retry is not None:
            self.on_retry(f"DigitalOcean: {why}; trying again in {seconds:.0f} s")
        time.sleep(seconds)

    def _rate_limited(self, response: requests.Response, shown: str, what: str,
                      wait: float) -> EnvironmentError_:
        refused = self._refused(response, shown, what)
        refused.hint = (f"DigitalOcean's rate limit is reached; it resets in {wait:.0f} s: "
                        "run the command again then")
        return refused

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


def _back_off(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: 1, 2, 4, ... with a little jitter (so that the
    hosts of one deploy do not all ask again at once), at most MAX_RETRY_WAIT."""
    return min(MAX_RETRY_WAIT, 2.0 ** (attempt - 1)) * random.uniform(0.8, 1.2)


def _retry_wait(response: requests.Response, attempt: int, now: Optional[float] = None
                ) -> float:
    """Seconds to wait before retrying: what the server asks (Retry-After, in seconds or as
    an HTTP date), else until DigitalOcean's rate limit resets (`ratelimit-reset`, a Unix
    time, when none is left), else a back-off."""
    now = time.time() if now is None else now
    asked = response.headers.get("Retry-After", "").strip()
    if asked:
        try:
            return max(0.0, float(asked))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(asked)
                return max(0.0, when.timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("ratelimit-reset", "").strip()
    if response.status_code == 429 and reset:
        try:
            return max(1.0, float(reset) - now)
        except ValueError:
            pass
    return _back_off(attempt)


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if isinstance(error, requests.ConnectionError):
        return "connection refused" if "refused" in str(error) else "connection failed"
    return type(error).__name__
