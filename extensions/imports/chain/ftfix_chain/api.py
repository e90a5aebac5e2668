"""The public module: pulls in _speedups through helpers, then _legacy directly.

Both extensions need the GIL, but the RuntimeWarning names only the first; `-v` names both.
The order matters (helpers first), and survives import sorting: module `ftfix_chain` sorts
before `ftfix_chain._legacy`.
"""

from ftfix_chain import helpers
from ftfix_chain._legacy import answer as legacy_answer


def answer():
    return helpers.answer() + legacy_answer()
