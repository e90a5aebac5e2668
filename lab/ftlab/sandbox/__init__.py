"""Running untrusted code: every child of a lane interpreter, and every install."""
