"""SOC platform core library: no Flask, no sockets (see DESIGN.md §5)."""
