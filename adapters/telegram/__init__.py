"""Telegram adapter. Import submodules directly; this package imports no telegram library."""
