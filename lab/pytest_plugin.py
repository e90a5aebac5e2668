"""ftlab's pytest plugin (entry point ``pytest11``): concurrent scenarios through the stress engine."""
