"""Assembly and running: settings, the PTB Application, persistence, runners, command line."""
