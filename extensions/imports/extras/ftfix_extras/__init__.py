"""ftlab import fixture: imports fine; its server module needs the ``server`` extra."""
