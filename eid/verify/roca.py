"""Detection of RSA moduli made by the flawed Infineon generator (ROCA, CVE-2017-15361).

Such primes have the form k·M + (65537^a mod M), where M is a primorial, so for
every small prime p dividing M the modulus n = p·q satisfies
n mod p ∈ ⟨65537⟩ (the subgroup of (Z/pZ)* that 65537 generates). A random
modulus passes that test for all 38 odd primes up to 167 with negligible
probability; Infineon moduli of every size always do (Nemec et al., CCS 2017,
§2.3 and §5.1). The check costs 38 small modular reductions, once per key.
"""

from __future__ import annotations

from functools import cache

__all__ = ["has_roca_fingerprint"]

# The odd primes up to 167: every Infineon primorial M (for any key size) includes them.
_PRIMES = (
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
    79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
)  # fmt: skip


@cache
def _subgroups() -> tuple[tuple[int, frozenset[int]], ...]:
    groups = []
    for p in _PRIMES:
        g, seen, x = 65537 % p, set(), 1
        while x not in seen:
            seen.add(x)
            x = x * g % p
        groups.append((p, frozenset(seen)))
    return tuple(groups)


def has_roca_fingerprint(n: int) -> bool:
    """Whether the RSA modulus ``n`` shows the ROCA fingerprint."""
    return all(n % p in group for p, group in _subgroups())
