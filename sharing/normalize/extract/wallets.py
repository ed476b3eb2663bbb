"""Cryptocurrency addresses: ransom payments, drainers, mining payouts.

Bitcoin, Litecoin, Dogecoin and Tron addresses carry a checksum (Base58Check or
Bech32/Bech32m) that is verified, so random strings of the right shape are not reported.
Ethereum addresses are 0x and 40 hex digits; Monero addresses have the documented shape.
"""

import hashlib
import re
import string
from collections.abc import Iterator
from functools import lru_cache

from sharing.normalize.extract.patterns import character_table, span_of_runs
from sharing.normalize.extract.types import Extracted, IndicatorType

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58)}
# Version bytes of Base58Check addresses: BTC P2PKH/P2SH, LTC, DOGE, Tron.
_VERSIONS = {0: "BTC", 5: "BTC", 48: "LTC", 50: "LTC", 30: "DOGE", 22: "DOGE", 0x41: "TRX"}
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_PREFIXES = {"bc": "BTC", "ltc": "LTC"}

# The first character is matched on its own (then checked with lookbehinds) so that the
# regex engine skips quickly to the next character that can start an address.
_WALLET_RE = re.compile(
    r"[13LMDTbl048](?<![\w][13LMDTbl048])(?:"
    r"(?<=[13LMDT])(?P<b58>[1-9A-HJ-NP-Za-km-z]{25,34})"
    r"|(?<=b)(?P<bech32>c1[02-9ac-hj-np-z]{11,71})"
    r"|(?<=l)(?P<ltc>tc1[02-9ac-hj-np-z]{11,71})"
    r"|(?<=0)(?P<eth>x[0-9a-fA-F]{40})"
    r"|(?<=[48])(?P<xmr>[0-9AB][1-9A-HJ-NP-Za-km-z]{93})"
    r")(?![\w])"
)


def _base58check(address: str) -> bool:
    number = 0
    for char in address:
        number = number * 58 + _B58_INDEX[char]
    leading = len(address) - len(address.lstrip("1"))
    raw = b"\x00" * leading + number.to_bytes((number.bit_length() + 7) // 8, "big")
    if len(raw) != 25 or raw[0] not in _VERSIONS:
        return False
    checksum = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4]
    return checksum == raw[-4:]


def _bech32(address: str) -> bool:
    hrp, _, data = address.rpartition("1")
    if hrp not in _BECH32_PREFIXES or len(data) < 7:
        return False
    values = [_BECH32_CHARSET.index(char) for char in data]
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    checksum = 1
    for value in [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp] + values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for index in range(5):
            checksum ^= generator[index] if (top >> index) & 1 else 0
    return checksum in (1, 0x2BC830A3)  # Bech32 (BIP 173) or Bech32m (BIP 350)


@lru_cache(maxsize=65536)
def is_wallet(value: str) -> bool:
    match = _WALLET_RE.fullmatch(value)
    if not match:
        return False
    if match.group("b58"):
        return _base58check(value)
    if match.group("bech32") or match.group("ltc"):
        return _bech32(value)
    return True


def currency_of(value: str) -> str:
    """BTC, LTC, DOGE, TRX, ETH or XMR for a wallet address."""
    if value.startswith("0x"):
        return "ETH"
    if value.startswith(("bc1", "ltc1")):
        return _BECH32_PREFIXES[value.split("1", 1)[0]]
    if len(value) == 95:
        return "XMR"
    number = 0
    for char in value:
        number = number * 58 + _B58_INDEX[char]
    leading = len(value) - len(value.lstrip("1"))
    raw = b"\x00" * leading + number.to_bytes((number.bit_length() + 7) // 8, "big")
    return _VERSIONS.get(raw[0], "BTC")


_ALPHANUMERIC = character_table(string.ascii_letters + string.digits)
# The shortest address: "bc1" and eleven characters.
_SHORTEST_WALLET = 14


def _wallet_matches(working: str) -> Iterator[re.Match[str]]:
    """_WALLET_RE's matches, searched only from the first run of 14 ASCII letters and digits
    or more to the end of the last (every address is such a run; the character after the
    last one is in the searched span)."""
    span = span_of_runs(working, _ALPHANUMERIC, _SHORTEST_WALLET)
    if span is not None:
        yield from _WALLET_RE.finditer(working, span[0], span[1] + 1)


def find_wallets(text: str, working: str) -> Iterator[Extracted]:
    for match in _wallet_matches(working):
        value = match.group(0)
        if is_wallet(value):
            yield Extracted(IndicatorType.CRYPTO_WALLET, value, *match.span(), value)
