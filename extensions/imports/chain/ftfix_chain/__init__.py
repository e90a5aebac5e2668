"""Pure package: importing it alone keeps the GIL disabled."""
