"""Calibration fixture, pure Python: a shared text renderer that keeps its work in progress on the
instance (RacyRenderer, the way Python-Markdown's ``Markdown.convert`` does) and its correct twin
(Renderer)."""

import threading


class RacyRenderer:
    """Renders lines of text as paragraphs. ``render`` resets ``self._out``, appends one piece per
    line through a method call (where another thread's ``render`` can reset or append), then joins:
    two threads rendering at once get each other's pieces."""

    def __init__(self):
        self._out = []
        self.rendered = 0

    def render(self, text):
        self._out = []
        for line in text.splitlines() or [""]:
            self._emit("<p>%s</p>" % line.strip())
        self.rendered += 1
        return "".join(self._out)

    def _emit(self, piece):
        self._out.append(piece)


class Renderer(RacyRenderer):
    """The same renderer, its work in progress kept in a local list (the count under a lock)."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def render(self, text):
        out = ["<p>%s</p>" % line.strip() for line in text.splitlines() or [""]]
        with self._lock:
            self.rendered += 1
        return "".join(out)
