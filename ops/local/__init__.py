"""Local mode: the program's own resources, materialised on this machine (`python -m ops local`)."""
