"""The perf fixture's probe: ``ftperf_work.probes:WorkProbe`` (one operation, ``work()``)."""

from ftlab_probes.api import Probe, op


class WorkProbe(Probe):
    subject = "ftperf-work"

    def make(self):
        import ftperf_work

        return ftperf_work

    @op()
    def work(self, obj):
        return obj.work()
