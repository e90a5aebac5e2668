"""How much evidence a result keeps: caps on output, tracebacks, artifacts and lists."""

#: Characters of a child's output kept in the result (the end, where faulthandler writes).
OUTPUT_TAIL_CHARS = 4000
#: Output read back per child: a module may print gigabytes (up to the sandbox's file-size limit).
OUTPUT_READ_BYTES = 4 * 1024 * 1024
#: Characters of faulthandler's text kept as evidence.
FAULTHANDLER_CHARS = 8000
#: Artifact files of failed imports are cut to this size (the end is kept).
ARTIFACT_MAX_BYTES = 1024 * 1024
#: Lists of excluded or dropped names in the result are cut to this length (counts stay exact).
LIST_CAP = 50
