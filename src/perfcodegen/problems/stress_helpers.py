"""Helpers that ENAMEL's expert input generators call, as source run inside the sandbox.

ENAMEL's generators call `rand_parens`, `rand_probably_prime` and `rand_primality` (and use
`random`, `string`, `math`) from the scope they are run in. These are our own versions with
the same signatures and the same kind of output: balanced (or deliberately broken) bracket
strings, random probable primes, and numbers that are prime, prime squares or semiprimes.
They draw from `random` like everything else, so a seed fixes their output too.
"""

from __future__ import annotations

GENERATOR_PRELUDE = r'''
import math
import random
import string


def rand_parens(size, valid=True, par="()", sep=""):
    """Random brackets of length ~size: balanced groups, or a broken string (valid=False).
    With sep=None, the list of top-level groups instead of one string."""
    if not valid:
        half = rand_parens(max(0, (size + 1) // 2 - 1), True, par)
        return half + par[1] + par[0] + rand_parens(max(0, (size + 1) // 2 - 1), True, par)
    length = size + size % 2
    groups, depth = [], 0
    for position in range(length):
        remaining = length - position
        opening = depth == 0 or (depth < remaining and random.random() < 0.5)
        if depth == 0:
            groups.append([])
        groups[-1].append(par[0] if opening else par[1])
        depth += 1 if opening else -1
    texts = ["".join(group) for group in groups]
    return texts if sep is None else sep.join(texts)


def _is_probable_prime(n, rounds=5):
    if n in (2, 3):
        return True
    if n < 2 or n % 2 == 0:
        return False
    odd, twos = n - 1, 0
    while odd % 2 == 0:
        odd, twos = odd // 2, twos + 1
    for _ in range(rounds):
        x = pow(random.randint(2, n - 2), odd, n)
        if x in (1, n - 1):
            continue
        for _ in range(twos - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def rand_probably_prime(low, high=None):
    """A random probable prime in [low, high]; with one bound b, in [b // 2, b]."""
    if high is None:
        high = max(low, 3)
        low = high // 2
    else:
        low = max(low, 0)
        high = max(high, 2 * low, 3)
    while True:
        n = random.randint(low, high)
        if _is_probable_prime(n):
            return n


def rand_primality(size, lid, cid):
    """Level 0: fixed hard cases (a primorial + 1 that is composite, a Carmichael number, 2,
    a cube); then by case: a prime near size, a prime's square, or a product of two primes."""
    size = max(size, 4)
    fixed = {0: 30031, 1: 561, 2: 2, 3: 125}
    if lid == 0 and cid in fixed:
        return fixed[cid]
    root = int(size ** 0.5) + 1
    if cid % 3 == 0:
        return rand_probably_prime(size)
    if cid % 3 == 1:
        return rand_probably_prime(root) ** 2
    return rand_probably_prime(root) * rand_probably_prime(root)
'''
