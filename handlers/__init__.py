"""The Telegram side, thin: parse the update, check who may do it, call core, render, reply.

Conversations are flows on one engine (handlers.flow, handlers.flow_engine); handlers.wiring
puts every handler on the application.
"""
