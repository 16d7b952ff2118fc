"""Authentication and authorisation for the broker: password and ACL files.

Password file: one ``username:hash`` per line, where hash is
``$scrypt$n=N,r=R,p=P$<salt>$<key>`` (salt and key in unpadded base64). The salt
is given by the caller, so this module stays free of randomness.

ACL file, one rule per line (a line starting with ``#`` is a comment)::

    # following topic lines apply to user alice
    user alice
    topic readwrite alice/#
    # following topic lines apply to client id sensor-7
    client sensor-7
    topic write sensors/7/#
    # everyone; %u is the user name, %c the client id
    pattern read devices/%u/#

``topic`` lines before any ``user``/``client`` line apply to anonymous clients.
A PUBLISH is allowed when a ``write`` or ``readwrite`` rule's filter matches
its topic; a SUBSCRIBE when a ``read`` or ``readwrite`` rule's filter covers
every topic the subscription's filter can match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from wire.errors import LocalProtocolError
from wire.mqtt._topics import is_valid_topic_filter, parse_shared_subscription, topic_matches

__all__ = ["AccessControl", "PasswordFile", "filter_covers", "hash_password"]

#: scrypt cost (RFC 7914): 2**14 x 8 x 1 takes about 16 MiB and tens of
#: milliseconds, the interactive-login figure the RFC's authors suggest.
DEFAULT_SCRYPT = (1 << 14, 8, 1)
_MAX_N = 1 << 20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password(
    password: str | bytes, *, salt: bytes, n: int = DEFAULT_SCRYPT[0], r: int = 8, p: int = 1
) -> str:
    """Hash ``password`` with scrypt and ``salt`` (at least 16 random bytes)."""
    if len(salt) < 16:
        raise LocalProtocolError("the salt must be at least 16 bytes")
    secret = password.encode() if isinstance(password, str) else password
    key = hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + (1 << 20), dklen=32)
    return f"$scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def _verify(password: bytes, hashed: str) -> bool:
    try:
        _, scheme, params, salt_text, key_text = hashed.split("$")
        if scheme != "scrypt":
            return False
        values = dict(item.split("=", 1) for item in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
        salt, key = _unb64(salt_text), _unb64(key_text)
    except (ValueError, KeyError):
        return False
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        return False  # refuse costs that would let a file exhaust memory or time
    computed = hashlib.scrypt(
        password, salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + (1 << 20), dklen=len(key)
    )
    return hmac.compare_digest(computed, key)


class PasswordFile:
    """Users and their scrypt hashes.

    Verified credentials are remembered (a SHA-256 of the password, at most
    ``cache_size`` entries), so a reconnecting client does not cost a full
    scrypt run each time.
    """

    def __init__(self, entries: Iterable[tuple[str, str]] = (), *, cache_size: int = 1024) -> None:
        self._hashes: dict[str, str] = dict(entries)
        self._cache: OrderedDict[tuple[str, bytes], bool] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def parse(cls, text: str) -> PasswordFile:
        """Read the ``username:hash`` lines of a password file."""
        entries = []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            username, colon, hashed = line.partition(":")
            if not colon or not username or not hashed.startswith("$scrypt$"):
                raise LocalProtocolError(f"password file line {number}: expected user:$scrypt$...")
            entries.append((username, hashed))
        return cls(entries)

    def dump(self) -> str:
        """The file's text."""
        return "".join(f"{user}:{hashed}\n" for user, hashed in sorted(self._hashes.items()))

    def set(self, username: str, hashed: str) -> None:
        """Add or replace ``username`` with a hash from :func:`hash_password`."""
        if ":" in username or not username or "\n" in username:
            raise LocalProtocolError("a user name must be non-empty without ':' or newlines")
        self._hashes[username] = hashed
        self._cache.clear()

    def remove(self, username: str) -> bool:
        """Remove ``username``; ``False`` if it was not there."""
        self._cache.clear()
        return self._hashes.pop(username, None) is not None

    def __contains__(self, username: object) -> bool:
        return username in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)

    def verify(self, username: str | None, password: bytes | None) -> bool:
        """Whether ``username`` exists and ``password`` is its password."""
        if username is None or password is None:
            return False
        hashed = self._hashes.get(username)
        if hashed is None:
            return False
        key = (username, hashlib.sha256(password).digest())
        known = self._cache.get(key)
        if known is not None:
            self._cache.move_to_end(key)
            return known
        result = _verify(password, hashed)
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def authenticate(self, username: str | None, password: bytes | None, client_id: str) -> bool:
        """The broker's ``authenticate`` hook: known user with the right password."""
        return self.verify(username, password)


def filter_covers(general: str, specific: str) -> bool:
    """Whether every topic matched by filter ``specific`` is matched by ``general``."""
    general_levels = general.split("/")
    specific_levels = specific.split("/")
    if specific.startswith("$") != general.startswith("$") and general[:1] in ("+", "#"):
        return False  # [MQTT-4.7.2-1]: leading wildcards never match "$" topics
    for index, level in enumerate(general_levels):
        if level == "#":
            return True
        if index >= len(specific_levels):
            return False
        wanted = specific_levels[index]
        if wanted == "#":
            return False
        if level not in ("+", wanted):
            return False
    return len(general_levels) == len(specific_levels)


_ACCESS = {"read": (True, False), "write": (False, True), "readwrite": (True, True)}


@dataclass(frozen=True, slots=True)
class _Rule:
    user: str | None
    client: str | None
    anonymous: bool
    pattern: bool
    read: bool
    write: bool
    topic_filter: str


class AccessControl:
    """Per-user and per-client read/write rules over topic filters."""

    def __init__(self, rules: Iterable[_Rule] = ()) -> None:
        self._rules = list(rules)

    @classmethod
    def parse(cls, text: str) -> AccessControl:
        """Read an ACL file."""
        rules = []
        user: str | None = None
        client: str | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split(None, 2)
            keyword = words[0]
            if keyword in ("user", "client") and len(words) == 2:
                user, client = (words[1], None) if keyword == "user" else (None, words[1])
                continue
            if keyword in ("topic", "pattern") and len(words) in (2, 3):
                access, topic_filter = ("readwrite", words[1]) if len(words) == 2 else words[1:]
                if access not in _ACCESS or not is_valid_topic_filter(topic_filter):
                    raise LocalProtocolError(f"ACL line {number}: bad access or filter: {line!r}")
                read, write = _ACCESS[access]
                if keyword == "pattern":
                    rules.append(_Rule(None, None, False, True, read, write, topic_filter))
                else:
                    anonymous = user is None and client is None
                    rules.append(_Rule(user, client, anonymous, False, read, write, topic_filter))
                continue
            raise LocalProtocolError(f"ACL line {number}: cannot read {line!r}")
        return cls(rules)

    def _filters(self, username: str | None, client_id: str, *, write: bool) -> list[str]:
        out = []
        for rule in self._rules:
            if (rule.write if write else rule.read) is False:
                continue
            if rule.pattern:
                topic_filter = rule.topic_filter
                if "%u" in topic_filter:
                    if username is None or "/" in username or "+" in username or "#" in username:
                        continue  # a substituted name must stay one literal level
                    topic_filter = topic_filter.replace("%u", username)
                if "%c" in topic_filter:
                    if "/" in client_id or "+" in client_id or "#" in client_id:
                        continue
                    topic_filter = topic_filter.replace("%c", client_id)
                out.append(topic_filter)
            elif (
                (rule.anonymous and username is None)
                or (rule.user is not None and rule.user == username)
                or (rule.client is not None and rule.client == client_id)
            ):
                out.append(rule.topic_filter)
        return out

    def can_publish(self, username: str | None, client_id: str, topic: str) -> bool:
        """The broker's ``authorize_publish`` hook."""
        return any(topic_matches(f, topic) for f in self._filters(username, client_id, write=True))

    def can_subscribe(self, username: str | None, client_id: str, topic_filter: str) -> bool:
        """The broker's ``authorize_subscribe`` hook (shared filters by their topic filter)."""
        shared = parse_shared_subscription(topic_filter)
        wanted = shared.topic_filter if shared is not None else topic_filter
        filters = self._filters(username, client_id, write=False)
        return any(filter_covers(f, wanted) for f in filters)
