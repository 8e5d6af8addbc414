"""A Merkle tree over the audit chain's entry hashes, as RFC 9162 (Certificate Transparency 2.0) defines it.

Pure Python, no Django: the archive package's verifier (archive/verifier.py) uses it on a machine without the
database. Leaf i (0-based) is entry seq i+1; its leaf hash is SHA-256(0x00 ‖ the entry's 32-byte chain hash),
an interior node SHA-256(0x01 ‖ left ‖ right); MTH of n leaves splits at the largest power of two below n.

The signer keeps the tree as its *frontier*: the roots of the perfect subtrees that make up n leaves, largest
first (one per set bit of n). Appending a leaf merges equal-sized roots, so a checkpoint extends the previous one's
frontier by the entries appended since, never re-reading the chain. The root of the frontier, folded from the
right, is MTH(D[n]).

An inclusion proof (RFC 9162 §2.1.3) of leaf m in a tree of n leaves is the list of sibling hashes from the leaf
up; `root_from_inclusion` is the verification algorithm of §2.1.3.2.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_LEAF, _NODE = b"\x00", b"\x01"


def leaf_hash(entry_hash_hex: str) -> bytes:
    """The leaf of one audit entry: its chain hash (64 hex digits) as 32 bytes, under the leaf prefix."""
    return hashlib.sha256(_LEAF + bytes.fromhex(entry_hash_hex)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of leaf hashes (already leaf-prefixed)."""
    if not leaves:
        return EMPTY_ROOT
    return levels(leaves)[-1]


def levels(leaves: Sequence[bytes]) -> list[bytes]:
    """Every level of the tree, leaves first, the root last, each as one bytes blob of 32-byte hashes (a million
    leaves hold 64 MB, not a million objects). An odd last node is carried up unchanged, which builds the same tree
    as RFC 9162's split at the largest power of two."""
    level = b"".join(leaves)
    out = [level]
    sha256 = hashlib.sha256
    while len(level) > 32:
        nxt = bytearray()
        count = len(level) // 32
        for i in range(0, count - 1, 2):
            nxt += sha256(_NODE + level[32 * i:32 * i + 64]).digest()
        if count % 2:
            nxt += level[-32:]
        level = bytes(nxt)
        out.append(level)
    return out


def proof_from_levels(tree: list[bytes], m: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 from `levels`: sibling hashes from the leaf up, O(log n)."""
    n = len(tree[0]) // 32
    if not 0 <= m < n:
        raise ValueError(f"leaf {m} is not in a tree of {n}")
    path, index = [], m
    for level in tree[:-1]:
        sibling = index ^ 1
        if 32 * sibling < len(level):
            path.append(level[32 * sibling:32 * sibling + 32])
        index //= 2
    return path


def inclusion_proof(leaves: Sequence[bytes], m: int) -> list[bytes]:
    return proof_from_levels(levels(leaves), m)


def root_from_inclusion(leaf: bytes, m: int, n: int, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root that leaf m of a tree of n leaves and its inclusion path lead to, or None
    when the path has the wrong length for (m, n)."""
    if not 0 <= m < n:
        return None
    fn, sn, r = m, n - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# --- the signer's frontier ------------------------------------------------------------------------------------

def extend(frontier: list[bytes], size: int, leaves: Iterable[bytes]) -> tuple[list[bytes], int]:
    """The frontier of a tree of `size` leaves with `leaves` appended; returns (frontier, new size)."""
    stack = list(frontier)
    for leaf in leaves:
        stack.append(leaf)
        size += 1
        # Merge while the two last subtrees have the same size: the trailing zero bits of the new size.
        s = size
        while not s & 1:
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            s >>= 1
    return stack, size


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    r = frontier[-1]
    for left in reversed(frontier[:-1]):
        r = node_hash(left, r)
    return r


def frontier_text(frontier: Sequence[bytes]) -> str:
    return ",".join(h.hex() for h in frontier)


def frontier_from_text(text: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in text.split(",") if h]
