"""Imports fine, after every death before it."""
