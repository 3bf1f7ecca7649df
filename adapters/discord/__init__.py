"""Discord adapter. Import submodules directly; this package imports no discord library."""
