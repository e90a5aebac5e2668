"""Stress probes for the lock-order fixture: ``ftcalib_locks.probes:InvertedAccountsProbe`` (finds
``hang``) and ``ftcalib_locks.probes:OrderedAccountsProbe`` (finds nothing)."""

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op


class InvertedAccountsProbe(Probe):
    subject = "ftcalib-locks"

    def make(self):
        from ftcalib_locks import InvertedAccounts

        return InvertedAccounts()

    @op(st.integers(1, 10))
    def move_right(self, obj, n):
        return obj.move_right(n)

    @op(st.integers(1, 10))
    def move_left(self, obj, n):
        return obj.move_left(n)

    @op()
    def balances(self, obj):
        return obj.balances()

    def invariant(self, obj):
        assert sum(obj.balances()) == 200, "money created or lost"

    def state(self, obj):
        return obj.balances()


class OrderedAccountsProbe(InvertedAccountsProbe):
    def make(self):
        from ftcalib_locks import OrderedAccounts

        return OrderedAccounts()
