"""MinHash signatures and their LSH index in plain numpy, bit for bit those of datasketch 2.0.

newsdesk used `datasketch.MinHash(num_perm=64, seed=1, scheme="affine32")` and
`MinHashLSH(threshold=0.3, num_perm=64)`; datasketch imports SciPy (about 140 MB, 0.5 s) only to
choose the LSH bands. This module gives byte-identical signatures (stored ones stay comparable) and
the same candidates, 4-14x faster per signature, importing in a fraction of the time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

Signature = npt.NDArray[np.uint32]
NUM_PERM = 64
SEED = 1
_EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for an empty input


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[Signature, Signature]:
    """(a, b) of h -> a*h + b mod 2^32, drawn as datasketch draws them: the legacy RandomState
    (its stream is frozen by NumPy's compatibility policy), every a before every b."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_A, _B = permutations()


def _fmix32(h: Signature) -> Signature:
    """MurmurHash3's 32-bit finalizer; uint32 arrays wrap around silently, as the hash needs."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _sha1_32(values: Iterable[bytes]) -> Signature:
    """The first 4 bytes of each value's SHA-1, read little-endian (datasketch's sha1_hash32)."""
    raw = b"".join([hashlib.sha1(value, usedforsecurity=False).digest()[:4] for value in values])
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32, copy=False)


def minhash(values: Iterable[bytes]) -> Signature:
    """The 64 uint32 MinHash values of a set of byte strings."""
    hashed = _sha1_32(values)
    if hashed.size == 0:
        return np.full(NUM_PERM, _EMPTY, dtype=np.uint32)
    signature: Signature = (_fmix32(hashed)[:, None] * _A + _B).min(axis=0)
    return signature


def optimal_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives around `threshold`, as datasketch
    chooses them. The integrands are polynomials of degree <= num_perm, so Gauss-Legendre with
    num_perm // 2 + 1 nodes integrates them exactly: no SciPy needed."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = threshold / 2 * (nodes + 1)
    above = threshold + (1 - threshold) / 2 * (nodes + 1)
    best, chosen = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            false_positive = threshold / 2 * float(weights @ (1 - (1 - below**rows) ** bands))
            false_negative = (1 - threshold) / 2 * float(weights @ ((1 - above**rows) ** bands))
            if (error := (false_positive + false_negative) / 2) < best:
                best, chosen = error, (bands, rows)
    return chosen


LSH_PARAMS = (21, 3)  # optimal_params(0.3, 64): 21 bands of 3 values (the 64th is unused)


class LSH:
    """Banded LSH: a stored key is a candidate when any band of its signature equals the query's."""

    def __init__(self, params: tuple[int, int] = LSH_PARAMS) -> None:
        self.bands, self.rows = params
        self._tables: list[dict[bytes, set[int]]] = [{} for _ in range(self.bands)]
        self._keys: dict[int, list[bytes]] = {}

    def _band_keys(self, signature: Signature) -> list[bytes]:
        raw = np.asarray(signature, dtype=np.uint32)[: self.bands * self.rows].byteswap().tobytes()
        width = 4 * self.rows
        return [raw[start : start + width] for start in range(0, len(raw), width)]

    def __contains__(self, key: int) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def insert(self, key: int, signature: Signature) -> None:
        if key in self._keys:
            raise ValueError(f"key {key} is already in the index")
        bands = self._keys[key] = self._band_keys(signature)
        for band, table in zip(bands, self._tables, strict=True):
            table.setdefault(band, set()).add(key)

    def remove(self, key: int) -> None:
        for band, table in zip(self._keys.pop(key), self._tables, strict=True):
            bucket = table[band]
            bucket.discard(key)
            if not bucket:
                del table[band]

    def query(self, signature: Signature) -> set[int]:
        found: set[int] = set()
        for band, table in zip(self._band_keys(signature), self._tables, strict=True):
            bucket = table.get(band)
            if bucket:
                found |= bucket
        return found
