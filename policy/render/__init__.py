"""Turning results into text, JSON-ready data, and (later) pictures and reports."""
