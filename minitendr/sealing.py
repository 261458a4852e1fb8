"""Sealed envelopes: what a bid says is encrypted (AES-GCM) under a key kept outside the database until
OSPOD opens the envelopes after the deadline, as NEN and E-ZAK do. A dump of the database or a
read-only SQL login before the opening shows who the rows belong to, never a price, a text or a file.

The key comes from ``MINITENDR_BID_KEY`` (base64 of 32 bytes) or from the file ``MINITENDR_BID_KEY_FILE``.
Several keys may be given, separated by commas: the first seals, all of them open, so a key can be
rotated while envelopes sealed under the old one wait for their deadline. Each envelope names the key it
was sealed with (the first 8 bytes of the key's SHA-256), so a wrong key is reported as such.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from minitendr.config import ConfigurationError
from minitendr.db import DomainError

VERSION = b"\x01"
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
MISSING = "Klíč pro zapečetění nabídek (MINITENDR_BID_KEY) není nastaven."
HOW_TO = (
    "Vytvořte klíč mimo databázi a nastavte jej, např.\n"
    "  export MINITENDR_BID_KEY=$(python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
)


class EnvelopeError(DomainError):
    """An envelope cannot be opened: a wrong or missing key, or damaged contents."""


def new_key() -> str:
    """A fresh key, as ``MINITENDR_BID_KEY`` takes it."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _decode(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"MINITENDR_BID_KEY není platný klíč v kódování base64.\n{HOW_TO}") from None
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"MINITENDR_BID_KEY musí mít {KEY_BYTES} bajtů (má {len(key)}); jde o klíč AES-256.\n{HOW_TO}"
        )
    return key


def _configured_text(config: Mapping) -> str | None:
    if config.get("BID_KEY"):
        return config["BID_KEY"]
    if config.get("BID_KEY_FILE"):
        path = Path(config["BID_KEY_FILE"])
        try:
            return path.read_text()
        except OSError as error:
            raise ConfigurationError(f"Soubor s klíčem obálek {path} nelze přečíst: {error.strerror}.") from None
    return None


def check_key(config: dict) -> None:
    """Read the bid keys at start-up into ``config["BID_KEYS"]``: a missing or malformed key stops the
    application with a message that says what to do, never a 500 on the first bid. Tests and the demo
    that bring no key get one for this process (the demo keeps its own in the instance folder)."""
    text = _configured_text(config)
    if text is None:
        if config.get("CLI"):
            # Commands that only manage the schema or data (db upgrade, db check, users) need no key;
            # one that seals or opens a bid says that it is missing when it gets there.
            config["BID_KEYS"] = []
            return
        if not (config.get("TESTING") or config.get("DEMO")):
            raise ConfigurationError(f"{MISSING}\n{HOW_TO}")
        text = new_key()
        config["BID_KEY"] = text
    keys = [_decode(part) for part in text.split(",") if part.strip()]
    if not keys:
        raise ConfigurationError(f"MINITENDR_BID_KEY je prázdný.\n{HOW_TO}")
    config["BID_KEYS"] = keys


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:KEY_ID_BYTES]


def _keys() -> list[bytes]:
    keys = current_app.config["BID_KEYS"]
    if not keys:
        raise EnvelopeError(f"{MISSING} {HOW_TO}")
    return keys


def seal(plaintext: bytes, context: str) -> bytes:
    """Encrypt ``plaintext``; ``context`` (e.g. the demand and provider) is bound to it, so an
    envelope copied onto another row does not open."""
    key = _keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + _key_id(key) + nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def open_sealed(envelope: bytes, context: str) -> bytes:
    """Decrypt an envelope made by ``seal`` with the same ``context``."""
    envelope = bytes(envelope)
    if not envelope.startswith(VERSION) or len(envelope) < 1 + KEY_ID_BYTES + NONCE_BYTES + 16:
        raise EnvelopeError("Obálka nabídky je poškozená; nelze ji otevřít.")
    key_id = envelope[1 : 1 + KEY_ID_BYTES]
    key = next((k for k in _keys() if _key_id(k) == key_id), None)
    if key is None:
        raise EnvelopeError(
            "Obálku nelze otevřít: byla zapečetěna jiným klíčem, než jaký je nastaven v MINITENDR_BID_KEY. "
            "Nastavte původní klíč (nebo jej přidejte za čárku k novému)."
        )
    nonce = envelope[1 + KEY_ID_BYTES : 1 + KEY_ID_BYTES + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, envelope[1 + KEY_ID_BYTES + NONCE_BYTES :], context.encode())
    except InvalidTag:
        raise EnvelopeError("Obálka nabídky neodpovídá svému záznamu nebo byla pozměněna; nelze ji otevřít.") from None


def key_beside(database: Path) -> str:
    """The demo's key, kept in a file beside its database (created on first use, readable by the owner
    only), so that ``minitendr demo --keep`` opens the envelopes it sealed the last time."""
    path = database.with_name(database.name + ".bid-key")
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(new_key())
    return path.read_text().strip()
