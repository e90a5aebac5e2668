"""Aborts the interpreter (SIGABRT) whenever it is imported."""

import os

os.abort()
