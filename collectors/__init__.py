"""Listeners and parsers: server (sockets) -> parse/decode (pure) -> normalize (ECS) -> sink."""
