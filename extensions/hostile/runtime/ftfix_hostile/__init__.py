"""ftlab's hostile fixture. The package itself is harmless; each submodule misbehaves when imported.

The import check imports every submodule in its own sandboxed process: each attack must be contained
and recorded (extensions/README.md, "Hostile fixtures"), and the rest of the run must complete.
The markers below let tests find what an attack left behind, if anything.
"""

#: Command-line marker of the processes `daemon` leaves running.
DAEMON_MARKER = "ftfix-hostile-daemon"
#: The file `wipe` tries to write into every folder above it and into the real home folder.
PWNED = "ftfix-hostile-pwned.txt"
