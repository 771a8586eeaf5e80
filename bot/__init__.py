"""Assembly and running: settings, the PTB Application, the chat gate, runners, command line."""
