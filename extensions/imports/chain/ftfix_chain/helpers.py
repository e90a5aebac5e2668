"""A pure middle module, so the chain to the offender has three links."""

from ftfix_chain import _speedups


def answer():
    return _speedups.answer()
