"""Everything that speaks Discord: the client, the commands, status messages and delivery."""
