"""A real authorization server for the OAuth tests: ``tests/oidc/provider.mjs`` (oidc-provider) on loopback.

The tests make the issuer's RSA signing keys, so the provider publishes them in its JWKS and the tests can
also sign the tokens no honest issuer would issue (expired, for another audience, ...) with a published key.
``stop()`` ends the provider as an outage would; ``start(keys)`` brings it back on the same port, with new
keys for a rotation. ``sign_in`` drives oidc-provider's development sign-in and consent pages over HTTP,
as a person in a browser would, and returns the redirect to the client's callback.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.nodetools import NodeTools
from tests.served import StderrLines

SCRIPT: Final = Path(__file__).parent / "oidc" / "provider.mjs"
LISTENING: Final = re.compile(r"listening (?P<issuer>http://\S+)")
START_TIMEOUT_S: Final = 30.0
SCOPE: Final = "tokens:count"
INTROSPECTOR: Final = {"id": "token-counter", "secret": "introspection-" + secrets.token_hex(16)}
_FORM_FIELD: Final = re.compile(r'<input[^>]*name="(?P<name>[^"]+)"[^>]*value="(?P<value>[^"]*)"')
_FORM_ACTION: Final = re.compile(r'<form[^>]*action="(?P<action>[^"]+)"')


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One RSA key: the private JWK the provider signs with, and the key the tests sign with."""

    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def new(cls) -> SigningKey:
        """A fresh 2048-bit key with a random key id."""
        return cls("k-" + secrets.token_hex(4), rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        """The private JWK, as oidc-provider's ``jwks`` setting takes it."""
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A JWT over ``claims`` signed with this key (RS256, its kid in the header)."""
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, **(headers or {})})


class OidcProvider:
    """oidc-provider in a Node 22 child process; ``issuer`` is its URL (fixed across restarts)."""

    def __init__(self, node: NodeTools, keys: list[SigningKey]) -> None:
        self._node = node
        self._dir = Path(tempfile.mkdtemp(prefix="oidc-"))
        self._port = 0
        self.keys = keys
        self.issuer = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._output: StderrLines | None = None

    def start(self, keys: list[SigningKey] | None = None) -> None:
        """Start (again, on the same port) publishing ``keys`` (the first signs new tokens)."""
        self.keys = keys or self.keys
        config = {"port": self._port, "jwks": {"keys": [key.jwk() for key in self.keys]}, "client": INTROSPECTOR}
        path = self._dir / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        process = subprocess.Popen([str(self._node.node), str(SCRIPT), str(path)], env=dict(self._node.env),
                                   cwd=SCRIPT.parent, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        assert process.stdout is not None
        lines = StderrLines(process.stdout)
        found = lines.search(LISTENING, START_TIMEOUT_S)
        if found is None:
            process.kill()
            raise RuntimeError(f"oidc-provider did not start:\n{lines.text}")
        self._process, self._output = process, lines
        self.issuer = found["issuer"]
        self._port = int(self.issuer.rsplit(":", 1)[1])

    def stop(self) -> None:
        """End the provider at once (an outage)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            if self._output is not None:
                self._output.wait_closed(START_TIMEOUT_S)
            assert self._process.stdout is not None
            self._process.stdout.close()
            self._process = None

    def issue_opaque_for(self, resource: str) -> None:
        """Make the provider issue opaque tokens (checked by introspection) for ``resource``."""
        body = {"resource": resource, "format": "opaque"}
        httpx2.post(f"{self.issuer}/test/format", json=body, timeout=10).raise_for_status()

    def token(self, resource: str, **overrides: Any) -> str:
        """A JWT as the provider would issue for ``resource``, signed with its current key, with ``overrides``
        (a value of None drops the claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": resource, "sub": "alice", "client_id": "test-client", "scope": SCOPE,
            "iat": now, "nbf": now, "exp": now + 600, "jti": secrets.token_hex(8),
        }  # fmt: skip
        claims.update(overrides)
        return self.keys[0].sign({k: v for k, v in claims.items() if v is not None})

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


async def sign_in(authorization_url: str, *, login: str) -> dict[str, str]:
    """Follow the authorization request through sign-in (as ``login``) and consent; the callback's query.

    Every redirect is followed by hand until one leaves the provider: that one goes to the client's
    redirect URI and carries ``code``, ``state`` and ``iss``.
    """
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    async with httpx2.AsyncClient(timeout=30, follow_redirects=False) as browser:
        response = await browser.get(authorization_url)
        for _ in range(20):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if not target.startswith(origin):
                    return {key: values[0] for key, values in parse_qs(urlsplit(target).query).items()}
                response = await browser.get(target)
            elif response.status_code == 200 and "<form" in response.text:
                response = await browser.post(urljoin(str(response.url), _action(response.text)),
                                              data=_form(response.text, login))  # fmt: skip
            else:
                raise AssertionError(f"unexpected answer {response.status_code} from {response.url}: {response.text}")
    raise AssertionError("the sign-in never reached the client's callback")


def _action(page: str) -> str:
    found = _FORM_ACTION.search(page)
    assert found is not None, page
    return found["action"]


def _form(page: str, login: str) -> dict[str, str]:
    """The first form's hidden fields, with the login name and any password filled in."""
    form = page.split("</form>")[0]
    fields = {m["name"]: m["value"] for m in _FORM_FIELD.finditer(form)}
    if 'name="login"' in form:
        fields["login"] = login
    if 'name="password"' in form:
        fields["password"] = "any"
    return fields
